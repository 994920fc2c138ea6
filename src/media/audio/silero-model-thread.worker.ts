/**
 * Entry of {@link SileroWorkerModel}'s thread: loads its own onnxruntime session, then answers each `{ run: n }` by
 * running the first `n` rows of the shared buffers and writing the results into the shared outputs. Loaded as a file
 * from `dist/` (see `thread-entry.ts`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type {
  FromSileroThread,
  SileroSharedBuffers,
  SileroThreadData,
  ToSileroThread,
} from './silero-model-thread.protocol.js';
import { SERVER_SESSION_OPTIONS, SILERO_INPUT, SILERO_SAMPLE_RATE, SILERO_STATE } from './silero-model.js';
import { lowerThreadPriority } from './thread-priority.js';

const port = parentPort!;
const post = (m: FromSileroThread): void => port.postMessage(m);
const data = workerData as SileroThreadData;
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

let input: Float32Array, state: Float32Array, probs: Float32Array, stateOut: Float32Array;
let localInput: Float32Array, localState: Float32Array;
function attach(b: SileroSharedBuffers): void {
  input = new Float32Array(b.input);
  state = new Float32Array(b.state);
  probs = new Float32Array(b.probs);
  stateOut = new Float32Array(b.stateOut);
  // onnxruntime-node refuses tensors over shared memory: the inputs are copied into the thread's own arrays.
  localInput = new Float32Array(input.length);
  localState = new Float32Array(state.length);
}
attach(data.buffers);
const sr = new Tensor('int64', BigInt64Array.from([BigInt(SILERO_SAMPLE_RATE)]), []);

async function run(session: InferenceSession, n: number): Promise<void> {
  try {
    localInput.set(input.subarray(0, n * SILERO_INPUT));
    localState.set(state.subarray(0, n * SILERO_STATE));
    const out = await session.run({
      input: new Tensor('float32', localInput.subarray(0, n * SILERO_INPUT), [n, SILERO_INPUT]),
      state: new Tensor('float32', localState.subarray(0, n * SILERO_STATE), [2, n, SILERO_STATE / 2]),
      sr,
    });
    probs.set(out.output!.data as Float32Array);
    stateOut.set(out.stateN!.data as Float32Array);
    post({ done: n });
  } catch (e) {
    post({ error: message(e) });
  }
}

InferenceSession.create(data.path, SERVER_SESSION_OPTIONS).then(
  (session) => {
    port.on('message', (m: ToSileroThread) => {
      if ('buffers' in m) attach(m.buffers);
      else void run(session, m.run);
    });
    // The lowest CPU priority there is, so that the model never preempts the event loop (see SileroWorkerModel).
    // Taken once the model is loaded: a starved thread would not even finish loading it.
    post({ ready: true, priority: lowerThreadPriority() });
  },
  (e: unknown) => post({ error: message(e) }),
);
