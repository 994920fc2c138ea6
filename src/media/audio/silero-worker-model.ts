import { Worker } from 'node:worker_threads';
import type {
  FromSileroThread,
  SileroSharedBuffers,
  SileroThreadData,
  ToSileroThread,
} from './silero-model-thread.protocol.js';
import {
  SILERO_INPUT,
  SILERO_LAYER_STATE,
  SILERO_MAX_BATCH_ON_LOOP,
  SILERO_STATE,
  SileroModel,
  type SileroRunner,
} from './silero-model.js';
import { threadEntry } from './thread-entry.js';
import type { ThreadPriority } from './thread-priority.js';

/** How long `release` waits for a starved worker to finish the run it was given up on. */
const RELEASE_WAIT_MS = 5000;

/** Windows the shared buffers hold at first; a bigger batch grows them. */
const INITIAL_CAPACITY = 64;

/** Options of {@link SileroWorkerModel.load}. */
export interface SileroWorkerOptions {
  /**
   * A run the worker has not answered after this long is given up and run on the calling thread instead; so are the
   * runs that follow until the worker answers it. A run takes a few ms: this long means the idle-priority thread is
   * starved. Default 250 ms (8 windows; a stream's model queue holds 32).
   */
  readonly starvedAfterMs?: number;
}

/**
 * Silero VAD v5 in a worker thread of its own, so the event loop keeps reading sockets while a batch runs (with
 * {@link SileroModel}, every frame that arrives during a batch waits for it). Windows, states and results cross in
 * `SharedArrayBuffer`s; one small message goes each way per batch. One run at a time, like the batcher asks.
 *
 * The thread runs at the lowest CPU priority there is ({@link ThreadPriority}): it gets the CPU that the event
 * loop and the rest of the box leave, and never preempts the event loop. At equal priority it did: the event loop
 * waited for a core about three times as long (bench README). The price: when the cores are busy, with the event
 * loop or with any other thread at normal priority in the same CPU group, the thread gets nothing. Two CPU-bound
 * processes beside it on a 2-core box held a batch of 100 windows back for 24 s, and without CAP_SYS_NICE the
 * priority cannot be raised again. So a run the worker leaves unanswered for `starvedAfterMs` runs on the calling
 * thread, with a model of its own, as do the runs after it until the worker answers ({@link fallbackRuns} counts
 * them): a starved worker costs the event loop what `main` would, and the model never stops.
 * If the worker dies, every later run rejects and the batcher settles those windows with the first stage.
 */
export class SileroWorkerModel implements SileroRunner {
  private views!: { input: Float32Array; state: Float32Array; probs: Float32Array; stateOut: Float32Array };
  private capacity = 0;
  private pending: { resolve: (n: number) => void; reject: (e: Error) => void } | undefined;
  /** A run was given up (starved); the worker is still on it until its reply comes. */
  private abandoned = false;
  /** Told when the reply to a run given up on comes (release waits for it). */
  private freed: (() => void) | undefined;
  private running = false;
  private dead: Error | undefined;
  private released = false;
  private threadPriority: ThreadPriority = 'normal';
  private fallbacks = 0;

  /** The calling thread's own session, for the runs a starved worker leaves (loaded with the worker's). */
  private local: SileroModel | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly starvedAfterMs: number,
  ) {
    worker.on('message', (m: FromSileroThread) => {
      if (!('done' in m) && !('error' in m)) return;
      worker.unref();
      const p = this.pending;
      this.pending = undefined;
      // The reply to a run given up on: nobody waits for it, and the worker is free again.
      if (!p) {
        this.abandoned = false;
        this.freed?.();
      } else if ('done' in m) p.resolve(m.done);
      else p.reject(new Error(`Silero worker: ${m.error}`));
    });
    worker.on('error', (e) => this.die(e));
    worker.on('exit', (code) => this.die(new Error(`Silero worker exited (${code})`)));
  }

  /** Starts the worker and loads the model in it; rejects if the model cannot be loaded. */
  static async load(path: string, options: SileroWorkerOptions = {}): Promise<SileroWorkerModel> {
    const buffers = allocate(INITIAL_CAPACITY);
    const workerData: SileroThreadData = { path, buffers };
    const worker = new Worker(threadEntry(import.meta.url, 'silero-model-thread.worker.js'), { workerData });
    // An idle helper thread must not keep the process alive on its own; a run in flight does (see run()).
    worker.unref();
    const model = new SileroWorkerModel(worker, options.starvedAfterMs ?? 250);
    model.use(buffers, INITIAL_CAPACITY);
    try {
      await new Promise<void>((resolve, reject) => {
        const onMessage = (m: FromSileroThread) => {
          if (!('ready' in m) && !('error' in m)) return;
          worker.off('message', onMessage);
          worker.off('exit', onExit);
          if ('ready' in m) {
            model.threadPriority = m.priority;
            resolve();
          } else {
            reject(new Error(`Silero worker: ${m.error}`));
          }
        };
        const onExit = (code: number) => reject(new Error(`Silero worker exited (${code}) before the model loaded`));
        worker.on('message', onMessage);
        worker.once('exit', onExit);
      });
      model.local = await SileroModel.load(path);
    } catch (error) {
      await model.release();
      throw error;
    }
    return model;
  }

  /** The CPU priority the worker thread got. */
  get priority(): ThreadPriority {
    return this.threadPriority;
  }

  /** Whether the worker is still on a run given up on (runs go to the calling thread meanwhile). */
  get starved(): boolean {
    return this.abandoned;
  }

  /** Runs made on the calling thread because the worker was starved. */
  get fallbackRuns(): number {
    return this.fallbacks;
  }

  async run(
    input: Float32Array,
    state: Float32Array,
    batch: number,
  ): Promise<{ probs: Float32Array; state: Float32Array }> {
    if (this.released) throw new Error('SileroWorkerModel: released');
    if (this.dead) throw this.dead;
    if (this.running) throw new Error('SileroWorkerModel: one run at a time');
    this.running = true;
    try {
      if (this.abandoned) return await this.runHere(input, state, batch);
      if (batch > this.capacity) {
        const grown = allocate(batch);
        this.use(grown, batch);
        this.post({ buffers: grown });
      }
      this.views.input.set(input);
      this.views.state.set(state);
      let timer: NodeJS.Timeout | undefined;
      const reply = new Promise<boolean>((resolve, reject) => {
        this.pending = { resolve: () => resolve(true), reject };
        // Someone awaits this run: the process must not exit under it (unref'd again when the answer comes).
        this.worker.ref();
        this.post({ run: batch });
      });
      const starved = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), this.starvedAfterMs);
      });
      // A reply is a message (a macrotask): it cannot slip in between the timer settling the race and this line.
      const byWorker = await Promise.race([reply, starved]).finally(() => clearTimeout(timer));
      if (byWorker) {
        return {
          probs: this.views.probs.subarray(0, batch),
          state: this.views.stateOut.subarray(0, batch * SILERO_STATE),
        };
      }
      this.pending = undefined;
      this.abandoned = true;
      return await this.runHere(input, state, batch);
    } finally {
      this.running = false;
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    // Terminating the thread inside a native run aborts the process ("Napi::Error"): let the run given up on finish
    // (bounded: a thread starved for that long is terminated anyway).
    if (this.abandoned && !this.dead) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, RELEASE_WAIT_MS);
        this.freed = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await this.worker.terminate();
    await this.local?.release();
  }

  private async runHere(
    input: Float32Array,
    state: Float32Array,
    batch: number,
  ): Promise<{ probs: Float32Array; state: Float32Array }> {
    this.fallbacks++;
    const local = this.local!;
    // No longer a hold-up for the event loop than a run on it may be: a bigger batch goes in slices.
    if (batch <= SILERO_MAX_BATCH_ON_LOOP) return local.run(input, state, batch);
    // Rows are independent, and a slice gives each the same result to the bit. onnxruntime-node starts each run on a
    // later turn of the event loop, so sockets are read between slices. States are [layer][row][128]: gathered and
    // scattered per layer.
    const half = SILERO_LAYER_STATE;
    const probs = new Float32Array(batch);
    const states = new Float32Array(batch * SILERO_STATE);
    for (let from = 0; from < batch; from += SILERO_MAX_BATCH_ON_LOOP) {
      const b = Math.min(SILERO_MAX_BATCH_ON_LOOP, batch - from);
      const slice = new Float32Array(b * SILERO_STATE);
      for (let l = 0; l < 2; l++)
        slice.set(state.subarray((l * batch + from) * half, (l * batch + from + b) * half), l * b * half);
      const out = await local.run(input.subarray(from * SILERO_INPUT, (from + b) * SILERO_INPUT), slice, b);
      probs.set(out.probs, from);
      for (let l = 0; l < 2; l++)
        states.set(out.state.subarray(l * b * half, (l + 1) * b * half), (l * batch + from) * half);
    }
    return { probs, state: states };
  }

  private post(m: ToSileroThread): void {
    this.worker.postMessage(m);
  }

  private use(buffers: SileroSharedBuffers, capacity: number): void {
    this.capacity = capacity;
    this.views = {
      input: new Float32Array(buffers.input),
      state: new Float32Array(buffers.state),
      probs: new Float32Array(buffers.probs),
      stateOut: new Float32Array(buffers.stateOut),
    };
  }

  private die(error: Error): void {
    this.dead ??= error;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(error);
  }
}

function allocate(windows: number): SileroSharedBuffers {
  const f32 = (n: number) => new SharedArrayBuffer(n * Float32Array.BYTES_PER_ELEMENT);
  return {
    input: f32(windows * SILERO_INPUT),
    state: f32(windows * SILERO_STATE),
    probs: f32(windows),
    stateOut: f32(windows * SILERO_STATE),
  };
}
