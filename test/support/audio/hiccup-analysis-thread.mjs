// A stand-in analysis thread for ThreadedAudioProcessor's spec: takes batches of frames (analysing nothing), except
// that on the second batch it stalls for 400 ms once, as a thread starved by a burst of work elsewhere would.
import { parentPort } from 'node:worker_threads';

let batches = 0;
parentPort.on('message', (m) => {
  if (m.type === 'end') {
    const stats = {
      framesIn: 0,
      framesReordered: 0,
      framesLate: 0,
      framesDuplicate: 0,
      framesMissing: 0,
      modelWindows: 0,
      gatedWindows: 0,
    };
    parentPort.postMessage({ type: 'ended', id: m.id, stats });
  }
  if (m.type !== 'frames') return;
  batches += 1;
  if (batches === 2) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
  parentPort.postMessage({ type: 'progress', batches, events: [] });
});
setInterval(
  () =>
    parentPort.postMessage({
      type: 'totals',
      totals: { runs: 0, windows: 0, largestBatch: 0, modelWindows: 0, skipped: 0 },
    }),
  100,
).unref();
parentPort.postMessage({ type: 'ready', priority: 'normal' });
