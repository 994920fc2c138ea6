// A stand-in analysis thread for ThreadedAudioProcessor's spec that dies on the first batch of frames.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', (m) => {
  if (m.type === 'frames') process.exit(3);
});
parentPort.postMessage({ type: 'ready', priority: 'normal' });
