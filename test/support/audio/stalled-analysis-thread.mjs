// A stand-in analysis thread for ThreadedAudioProcessor's spec: takes the first batch of frames, reports a turn
// starting on the first stream it was told about, then never takes another batch (a starved thread).
import { parentPort } from 'node:worker_threads';

let first;
let batches = 0;
parentPort.on('message', (m) => {
  if (m.type === 'open') first ??= m.id;
  if (m.type !== 'frames' || batches > 0) return;
  batches = 1;
  const start = { type: 'speech.started', track: 'inbound', at: 0, detectedAt: 0 };
  parentPort.postMessage({ type: 'progress', batches, events: [[first, start]] });
  // Starved: this thread's loop never turns again (terminate() still stops it).
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
});
parentPort.postMessage({ type: 'ready', priority: 'normal' });
