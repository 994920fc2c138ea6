import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Worker } from 'node:worker_threads';
import { MULAW_BYTES_PER_MS, type MediaTrack } from '../../protocol/twilio-media.js';
import type {
  AudioEvent,
  AudioFrame,
  AudioProcessor,
  AudioStream,
  AudioStreamOptions,
  AudioStreamStats,
} from './audio-processor.interface.js';
import { resolveAudioProcessorOptions, type SileroAudioProcessorOptions } from './audio-processor.options.js';
import {
  FrameBatchWriter,
  readFrameBatch,
  type AnalysisTotals,
  type AnalysisWorkerData,
  type FromAnalysisThread,
  type ToAnalysisThread,
} from './analysis-thread.protocol.js';
import { SileroAudioProcessor } from './silero-audio.processor.js';
import type { ThreadPriority } from './thread-priority.js';

/** Options of {@link ThreadedAudioProcessor}: the default processor's, plus the thread's own. */
export interface ThreadedAudioProcessorOptions extends SileroAudioProcessorOptions {
  /**
   * The analysis thread's CPU priority. `normal` (default): an ordinary thread. `idle`: once its model has loaded, the
   * thread lowers itself (itself only) to Linux `SCHED_IDLE` with util-linux `chrt` (nice 19 without `chrt`; nothing
   * off Linux), so that it never preempts the event loop; the price is starvation when every core is busy, which
   * moves streams to the event loop (below). Off by default because it trades analysis for the event loop's latency:
   * the host decides. See docs/decisions/0012-analysis-thread-priority-opt-in.md.
   */
  readonly threadPriority?: 'normal' | 'idle';
  /**
   * The compiled thread entry, `analysis-thread.worker.js` (a `file:` URL, or a path). Default: the file beside this
   * module, where `tsc` and the published package put it. Give it when a bundler moves files: ship the worker file and
   * the modules it imports, and point here.
   */
  readonly workerUrl?: URL | string;
  /** Frames cross to the analysis thread at least this often (ms); it adds up to this to detection delay. Default 10. */
  readonly flushIntervalMs?: number;
  /**
   * Frames the thread has not taken after this long (ms) mean it is starved: every open stream moves to the event
   * loop, and so do new ones until the thread catches up. Default 1000: a burst of calls connecting at once starves it
   * briefly, and moving streams costs them their analysis state (docs/decisions/0010-analysis-thread-and-fallback.md).
   */
  readonly starvedAfterMs?: number;
}

/** What the processor needs of its thread: a `Worker`, or a stand-in (tests). */
export interface AnalysisThreadPort {
  postMessage(message: ToAnalysisThread, transfer?: ArrayBuffer[]): void;
  on(event: 'message', listener: (message: FromAnalysisThread) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  unref(): void;
  terminate(): Promise<number>;
}

/** Starts the analysis thread. */
export type SpawnAnalysisThread = (url: URL | string, data: AnalysisWorkerData) => AnalysisThreadPort;

/** The parts of a {@link ThreadedAudioProcessor} a test may replace. */
export interface ThreadedAudioProcessorParts {
  /** Starts the thread. Default: a `Worker` on `workerUrl`. */
  readonly spawn?: SpawnAnalysisThread;
  /** The event loop's processor, for streams that move. Default: a `SileroAudioProcessor` with the same options. */
  readonly fallback?: SileroAudioProcessor;
}

const spawnWorker: SpawnAnalysisThread = (url, data) => new Worker(url, { workerData: data });

/** Batching in the thread, where a model run blocks nothing: bigger, less frequent runs share their fixed cost. */
const THREAD_BATCH = { maxBatch: 128, batchIntervalMs: 20 } as const;

/**
 * The default processor: the whole analysis (`SileroAudioProcessor`: energy gate, DTMF, reorder buffer, turns, and
 * Silero) in one worker thread. The event loop only copies each frame's payload into a batch that crosses every
 * `flushIntervalMs` (one transferred buffer), and events come back by message, a few ms later than on the event loop.
 *
 * Fallback (docs/decisions/0010-analysis-thread-and-fallback.md): a batch the thread leaves untaken for
 * `starvedAfterMs` moves every open stream to an in-process `SileroAudioProcessor` on the event loop, whose model is
 * loaded then, on first need. A track that was in a turn gets its `speech.stopped` at the last frame pushed, and
 * analysis starts afresh there. New streams open on the event loop too until the thread has taken everything sent to
 * it; once it has kept up for 1 s, each moved stream goes back to it between turns. If the thread dies, streams stay on
 * the event loop for good.
 */
export class ThreadedAudioProcessor implements AudioProcessor, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ThreadedAudioProcessor.name);
  private readonly workerData: AnalysisWorkerData;
  private readonly flushIntervalMs: number;
  private readonly starvedAfterMs: number;
  private readonly workerUrl: URL | string;
  private readonly local: SileroAudioProcessor;
  private worker: AnalysisThreadPort | undefined;
  private ready: Promise<void> | undefined;
  private dead: Error | undefined;
  private shutDown = false;
  private threadPriority: ThreadPriority = 'normal';
  private readonly streams = new Map<number, ThreadedAudioStream>();
  private nextId = 1;
  private batch = new FrameBatchWriter();
  private flushTimer: NodeJS.Timeout | undefined;
  /** Batches the thread has taken; when each untaken one was sent (`performance.now()`), oldest first. */
  private batchesTaken = 0;
  private readonly sentAt: number[] = [];
  private starving = false;
  /** When the thread last caught up with everything sent to it (`performance.now()`). */
  private caughtUpAt = 0;
  /** Streams analysed on the event loop for now: they go back to the thread once it has kept up for a while. */
  private readonly onLoop = new Set<ThreadedAudioStream>();
  private streamsBack = 0;
  private starvations = 0;
  private streamsMoved = 0;
  private totals: AnalysisTotals = { runs: 0, windows: 0, largestBatch: 0, modelWindows: 0, skipped: 0 };

  private readonly spawn: SpawnAnalysisThread;

  constructor(options: ThreadedAudioProcessorOptions = {}, parts: ThreadedAudioProcessorParts = {}) {
    const { onError, flushIntervalMs, starvedAfterMs, workerUrl, threadPriority, ...processor } = options;
    this.flushIntervalMs = flushIntervalMs ?? 10;
    this.starvedAfterMs = starvedAfterMs ?? 1000;
    if (!(this.flushIntervalMs > 0 && this.flushIntervalMs <= 100))
      throw new Error('ThreadedAudioProcessor: flushIntervalMs must be in (0, 100]');
    if (!(this.starvedAfterMs > this.flushIntervalMs))
      throw new Error('ThreadedAudioProcessor: starvedAfterMs must exceed flushIntervalMs');
    if (threadPriority !== undefined && threadPriority !== 'normal' && threadPriority !== 'idle')
      throw new Error(`ThreadedAudioProcessor: threadPriority must be 'normal' or 'idle'`);
    this.workerUrl = workerUrl ?? new URL('./analysis-thread.worker.js', import.meta.url);
    const inThread = {
      ...processor,
      maxBatch: processor.maxBatch ?? THREAD_BATCH.maxBatch,
      batchIntervalMs: processor.batchIntervalMs ?? THREAD_BATCH.batchIntervalMs,
    };
    // Validated here too, so a bad option fails the boot on this thread, with its message.
    resolveAudioProcessorOptions(inThread);
    this.workerData = { processor: inThread, lowerPriority: threadPriority === 'idle' };
    this.spawn = parts.spawn ?? spawnWorker;
    // The fallback: on the event loop, with the event loop's batching; its model loads on its first run.
    this.local = parts.fallback ?? new SileroAudioProcessor({ ...processor, onError });
  }

  /** Starts the thread and loads the model in it (rejects if it cannot). */
  async warmUp(): Promise<void> {
    this.ready ??= this.start();
    await this.ready;
  }

  /** Nest: start at boot; a model that cannot load fails the boot rather than the first call. */
  async onModuleInit(): Promise<void> {
    await this.warmUp();
  }

  /** Nest: the last shutdown hook (sessions end their streams before it): stops the thread, frees the models. */
  async onApplicationShutdown(): Promise<void> {
    this.shutDown = true;
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const stream of [...this.streams.values(), ...this.onLoop]) stream.close();
    this.streams.clear();
    this.onLoop.clear();
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
    await this.local.onApplicationShutdown();
  }

  /** The CPU priority the thread got (`normal` unless `threadPriority: 'idle'` was asked for and granted). */
  get priority(): ThreadPriority {
    return this.threadPriority;
  }

  /** Counters: times the thread was found starved, streams moved to the event loop, and streams moved back. */
  get fallbackStats(): { starvations: number; streamsMoved: number; streamsBack: number; starving: boolean } {
    return {
      starvations: this.starvations,
      streamsMoved: this.streamsMoved,
      streamsBack: this.streamsBack,
      starving: this.starving || !!this.dead,
    };
  }

  /** The analysis thread's model counters, as of its last report (twice a second). */
  get analysisStats(): Readonly<AnalysisTotals> {
    return this.totals;
  }

  open(options: AudioStreamOptions): AudioStream {
    if (this.shutDown) throw new Error('ThreadedAudioProcessor: shut down');
    if (!this.worker && !this.dead)
      throw new Error('ThreadedAudioProcessor: not started (call warmUp, or let Nest call onModuleInit)');
    const id = this.nextId++;
    const stream = new ThreadedAudioStream(id, options, this);
    // The open's message flushes the pending frames, and that flush may find the thread starved: look first, so that
    // a stream the thread will never serve is not opened there after every other stream was closed there.
    this.flush();
    if (this.starving || this.dead) {
      stream.moveTo(this.local);
      this.onLoop.add(stream);
    } else {
      this.streams.set(id, stream);
      this.send({ type: 'open', id, tracks: options.tracks });
    }
    return stream;
  }

  /** @internal */
  pushFrame(id: number, frame: AudioFrame): void {
    this.batch.append(id, frame.sequenceNumber, frame.track, frame.timestamp, frame.payload);
    this.flushTimer ??= setTimeout(this.flush, this.flushIntervalMs);
  }

  /** @internal Posts a control message, after the frames pushed before it. */
  send(m: ToAnalysisThread): void {
    if (!this.worker || this.dead) return;
    this.flush();
    this.worker.postMessage(m);
  }

  /** @internal */
  forget(stream: ThreadedAudioStream): void {
    this.streams.delete(stream.id);
    this.onLoop.delete(stream);
  }

  private readonly flush = (): void => {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.batch.length === 0 || !this.worker || this.dead) return;
    const now = performance.now();
    if (this.sentAt.length > 0 && now - this.sentAt[0]! > this.starvedAfterMs)
      return this.starve(now - this.sentAt[0]!);
    const { buffer, length } = this.batch.take();
    this.worker.postMessage({ type: 'frames', buffer, length } satisfies ToAnalysisThread, [buffer]);
    this.sentAt.push(now);
  };

  private taken(batches: number): void {
    while (this.batchesTaken < batches) {
      this.batchesTaken += 1;
      this.sentAt.shift();
    }
    if (this.starving && this.sentAt.length === 0) {
      this.starving = false;
      this.caughtUpAt = performance.now();
      this.logger.log('audio analysis thread caught up: new streams are analysed there again');
    }
  }

  /** The thread has left frames untaken too long: every open stream goes on on the event loop. */
  private starve(lagMs: number): void {
    this.starving = true;
    this.starvations += 1;
    const moving = [...this.streams.values()];
    this.logger.warn(
      `audio analysis thread starved (frames untaken for ${Math.round(lagMs)} ms): ${moving.length} streams go on on the event loop`,
    );
    this.moveAll(moving);
  }

  private moveAll(streams: ThreadedAudioStream[]): void {
    // Frames still in the batch would reach the thread after the streams' `close`: they go with the streams.
    const pending = this.batch.length > 0 ? this.batch.take() : undefined;
    for (const stream of streams) {
      this.streams.delete(stream.id);
      if (stream.moveTo(this.local)) this.streamsMoved += 1;
      // An ending stream is settled by the move; an open one goes on on the event loop, until it can go back.
      if (stream.onEventLoop) this.onLoop.add(stream);
      this.worker?.postMessage({ type: 'close', id: stream.id } satisfies ToAnalysisThread);
    }
    if (pending) {
      const moved = new Map(streams.map((s) => [s.id, s]));
      readBatchInto(pending.buffer, pending.length, moved);
    }
  }

  /**
   * Streams on the event loop go back to the thread once it has kept up for {@link MOVE_BACK_AFTER_MS} (a burst of
   * new calls starves it briefly; that must not leave those calls on the event loop for good), each between turns,
   * so that no turn is cut. Checked on the thread's twice-a-second report.
   */
  private moveBack(): void {
    if (this.onLoop.size === 0) return;
    // As in open: the streams' messages flush the pending frames, and the flush may find the thread starved.
    this.flush();
    if (this.starving || this.dead || !this.worker) return;
    if (performance.now() - this.caughtUpAt < MOVE_BACK_AFTER_MS) return;
    for (const stream of [...this.onLoop]) {
      if (!stream.backToThread()) continue;
      this.onLoop.delete(stream);
      this.streams.set(stream.id, stream);
      this.streamsBack += 1;
    }
  }

  private start(): Promise<void> {
    const worker = this.spawn(this.workerUrl, this.workerData);
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on('message', (m: FromAnalysisThread) => {
        switch (m.type) {
          case 'ready':
            started = true;
            this.threadPriority = m.priority;
            // A started thread waits for messages: it must not keep the process alive by itself.
            worker.unref();
            resolve();
            return;
          case 'progress':
            this.taken(m.batches);
            for (const [id, event] of m.events) this.streams.get(id)?.deliver(event);
            return;
          case 'ended':
            this.streams.get(m.id)?.ended(m.stats);
            return;
          case 'totals':
            this.totals = m.totals;
            this.moveBack();
            return;
          case 'error':
            if (!started) reject(new Error(m.message));
            else this.logger.error(m.message);
            return;
        }
      });
      worker.on('error', (e) => {
        if (!started) reject(e);
        this.die(e);
      });
      worker.on('exit', (code) => {
        if (!started) reject(new Error(`audio analysis thread exited (${code}) before it was ready`));
        this.die(new Error(`audio analysis thread exited (${code})`));
      });
    });
  }

  private die(error: Error): void {
    if (this.dead || this.shutDown) return;
    this.dead = error;
    this.logger.error(`${error.message}: streams go on on the event loop`);
    this.worker = undefined;
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.moveAll([...this.streams.values()]);
  }
}

/** How long the thread must have kept up before streams on the event loop go back to it (ms). */
const MOVE_BACK_AFTER_MS = 1000;

/** Feeds a batch's frames to the streams they belong to (frames that never crossed, when streams move). */
function readBatchInto(buffer: ArrayBuffer, length: number, streams: ReadonlyMap<number, ThreadedAudioStream>): void {
  readFrameBatch(buffer, length, (id, sequenceNumber, track, timestamp, payload) =>
    streams.get(id)?.push({ sequenceNumber, track, timestamp, payload }, false),
  );
}

/** The event loop's side of one stream: frames go into the processor's batch, or to a local stream once moved. */
class ThreadedAudioStream implements AudioStream {
  private counters: AudioStreamStats = {
    framesIn: 0,
    framesReordered: 0,
    framesLate: 0,
    framesDuplicate: 0,
    framesMissing: 0,
    modelWindows: 0,
    gatedWindows: 0,
  };
  private state: 'open' | 'ending' | 'closed' = 'open';
  private onEnded: (() => void) | undefined;
  private local: AudioStream | undefined;
  private moved = false;
  /** Tracks in a turn, by the events delivered so far: they get their `speech.stopped` if the stream moves. */
  private readonly speaking = new Set<MediaTrack>();
  private lastMs = 0;

  constructor(
    readonly id: number,
    private readonly options: AudioStreamOptions,
    private readonly processor: ThreadedAudioProcessor,
  ) {}

  /**
   * The thread's counters once the stream has ended there (until then, `framesIn` alone). After a move: the event
   * loop's counters from the move on, `framesIn` of the whole stream, and `movedToEventLoop: 1`.
   */
  get stats(): Readonly<AudioStreamStats> {
    if (!this.moved) return this.counters;
    return { ...(this.local?.stats ?? this.counters), framesIn: this.counters.framesIn, movedToEventLoop: 1 };
  }

  push(frame: AudioFrame, count = true): void {
    if (this.state !== 'open') return;
    if (count) this.counters.framesIn += 1;
    const end = frame.timestamp + frame.payload.byteLength / MULAW_BYTES_PER_MS;
    if (end > this.lastMs) this.lastMs = end;
    if (this.local) this.local.push(frame);
    else this.processor.pushFrame(this.id, frame);
  }

  end(atMs: number): Promise<void> {
    if (this.state !== 'open') return Promise.resolve();
    this.state = 'ending';
    if (this.local) return this.endLocal(atMs);
    return new Promise<void>((resolve) => {
      this.onEnded = resolve;
      this.processor.send({ type: 'end', id: this.id, atMs });
    });
  }

  close(): void {
    if (this.state === 'closed') return;
    if (!this.local && this.state === 'open') this.processor.send({ type: 'close', id: this.id });
    this.local?.close();
    this.detach();
  }

  /**
   * Goes on on `processor` (on the event loop): closes the turns the thread had open at the last frame pushed.
   * A stream that was ending is settled here. Returns false if there was nothing left to move.
   */
  moveTo(processor: AudioProcessor): boolean {
    if (this.state === 'closed' || this.local) return false;
    this.moved = true;
    for (const track of this.speaking)
      this.deliver({ type: 'speech.stopped', track, at: this.lastMs, detectedAt: this.lastMs });
    this.speaking.clear();
    if (this.state === 'ending') {
      this.detach();
      return true;
    }
    this.local = processor.open({ tracks: this.options.tracks, onEvent: (e) => this.deliver(e) });
    return true;
  }

  /** Whether the stream is open and analysed on the event loop. */
  get onEventLoop(): boolean {
    return this.state === 'open' && this.local !== undefined;
  }

  /**
   * Goes back to the thread, if between turns (no track speaking): the event loop's stream is dropped and the thread
   * starts a fresh one. Returns false (nothing done) while a turn is open or once the stream is ending.
   */
  backToThread(): boolean {
    if (this.state !== 'open' || !this.local || this.speaking.size > 0) return false;
    this.local.close();
    this.local = undefined;
    this.processor.send({ type: 'open', id: this.id, tracks: this.options.tracks });
    return true;
  }

  /** @internal */
  deliver(event: AudioEvent): void {
    if (this.state === 'closed') return;
    if (event.type === 'speech.started') this.speaking.add(event.track);
    else if (event.type === 'speech.stopped') this.speaking.delete(event.track);
    try {
      this.options.onEvent(event);
    } catch {
      // The contract says onEvent must not throw; one that does must not stop the other streams' events.
    }
  }

  /** @internal The thread finished the stream: its final counters. */
  ended(stats: AudioStreamStats): void {
    this.counters = { ...stats, framesIn: this.counters.framesIn };
    this.detach();
  }

  private async endLocal(atMs: number): Promise<void> {
    try {
      await this.local!.end(atMs);
    } finally {
      this.detach();
    }
  }

  private detach(): void {
    this.state = 'closed';
    this.processor.forget(this);
    const done = this.onEnded;
    this.onEnded = undefined;
    done?.();
  }
}
