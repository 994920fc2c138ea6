import { EventEmitter } from 'node:events';
import type {
  AnalysisWorkerData,
  FromAnalysisThread,
  ToAnalysisThread,
} from '../../../src/media/audio/analysis-thread.protocol.js';
import type { AudioEvent, AudioStreamStats } from '../../../src/media/audio/audio-processor.interface.js';
import type { AnalysisThreadPort, SpawnAnalysisThread } from '../../../src/media/audio/threaded-audio.processor.js';

const NO_STATS: AudioStreamStats = {
  framesIn: 0,
  framesReordered: 0,
  framesLate: 0,
  framesDuplicate: 0,
  framesMissing: 0,
  modelWindows: 0,
  gatedWindows: 0,
};

/**
 * A stand-in analysis thread in the test's own thread: it records what the processor sends and answers only when the
 * test says so, so a spec decides when the "thread" takes its batches (or never does), reports, or dies; with fake
 * timers, starvation is then a matter of the fake clock, not of the OS scheduler.
 */
export class FakeAnalysisThread extends EventEmitter implements AnalysisThreadPort {
  readonly received: ToAnalysisThread[] = [];
  data: AnalysisWorkerData | undefined;
  terminated = false;
  private taken = 0;

  /** A `spawn` for `ThreadedAudioProcessor`'s parts that starts this thread, ready at once. */
  readonly spawn: SpawnAnalysisThread = (_url, data) => {
    this.data = data;
    queueMicrotask(() => this.reply({ type: 'ready', priority: 'normal' }));
    return this;
  };

  /** Frame batches the processor has sent so far. */
  get batchesSent(): number {
    return this.received.filter((m) => m.type === 'frames').length;
  }

  /** Messages of one kind, in order. */
  sent<T extends ToAnalysisThread['type']>(type: T): Extract<ToAnalysisThread, { type: T }>[] {
    return this.received.filter((m): m is Extract<ToAnalysisThread, { type: T }> => m.type === type);
  }

  postMessage(message: ToAnalysisThread): void {
    if (this.terminated) return;
    this.received.push(message);
    // A stream that ends in the thread gets its `ended` when the test takes the batches before it.
  }

  /** Takes every batch sent so far, as a thread that caught up does, delivering `events` ([stream id, event]). */
  takeAll(events: readonly (readonly [number, AudioEvent])[] = []): void {
    this.taken = this.batchesSent;
    this.reply({ type: 'progress', batches: this.taken, events });
  }

  /** Answers every `end` sent so far with the stream's (empty) final counters. */
  endStreams(): void {
    for (const m of this.sent('end')) this.reply({ type: 'ended', id: m.id, stats: NO_STATS });
  }

  /** The thread's twice-a-second report (what moves streams back after a starved spell). */
  report(): void {
    this.reply({ type: 'totals', totals: { runs: 0, windows: 0, largestBatch: 0, modelWindows: 0, skipped: 0 } });
  }

  /** The thread dies (an uncaught error, or the process's OOM killer on it). */
  die(code = 1): void {
    this.terminated = true;
    this.emit('exit', code);
  }

  unref(): void {}

  terminate(): Promise<number> {
    this.terminated = true;
    return Promise.resolve(0);
  }

  private reply(message: FromAnalysisThread): void {
    if (!this.terminated) this.emit('message', message);
  }
}
