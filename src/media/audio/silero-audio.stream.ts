import type { MediaTrack } from '../../protocol/twilio-media.js';
import type {
  AudioEvent,
  AudioFrame,
  AudioStream,
  AudioStreamOptions,
  AudioStreamStats,
} from './audio-processor.interface.js';
import type { ResolvedAudioProcessorOptions } from './audio-processor.options.js';
import { ReorderBuffer } from './reorder-buffer.js';
import type { SileroBatcher } from './silero-batcher.js';
import { TrackAnalyzer } from './track-analyzer.js';

/** {@link AudioStreamStats} plus the default processor's own counters. */
export interface SileroAudioStreamStats extends AudioStreamStats {
  /** Frames that were not frames (unknown track, bad sequence number, no payload): dropped. */
  framesInvalid?: number;
  /** Model windows settled by the first stage because the model was too far behind (or a payload too big). */
  modelSkippedWindows?: number;
}

/**
 * One call's analysis: a reorder buffer in front of one {@link TrackAnalyzer} per track the stream carries.
 * Frames of a track the stream did not announce are counted but not analysed.
 */
export class SileroAudioStream implements AudioStream {
  readonly stats: SileroAudioStreamStats = {
    framesIn: 0,
    framesReordered: 0,
    framesLate: 0,
    framesDuplicate: 0,
    framesMissing: 0,
    modelWindows: 0,
    gatedWindows: 0,
  };
  private readonly reorder: ReorderBuffer;
  private readonly inbound: TrackAnalyzer | undefined;
  private readonly outbound: TrackAnalyzer | undefined;
  private state: 'open' | 'ending' | 'closed' = 'open';

  constructor(
    options: AudioStreamOptions,
    config: ResolvedAudioProcessorOptions,
    private readonly batcher: SileroBatcher,
    private readonly onDone: (stream: SileroAudioStream) => void,
  ) {
    const onEvent = options.onEvent;
    const emit = (event: AudioEvent): void => {
      if (this.state === 'closed') return;
      try {
        onEvent(event);
      } catch {
        // The contract says onEvent must not throw; if it does, the analysis must not be left half-updated.
      }
    };
    const analyzer = (track: MediaTrack) =>
      options.tracks.includes(track)
        ? new TrackAnalyzer({
            track,
            detector: config.trackDetectors[track],
            options: config,
            batcher,
            stats: this.stats,
            emit,
          })
        : undefined;
    this.inbound = analyzer('inbound');
    this.outbound = analyzer('outbound');
    this.reorder = new ReorderBuffer(config.reorder, this.stats, (track, ts, data, start, end) =>
      (track === 'inbound' ? this.inbound : this.outbound)?.feed(ts, data, start, end),
    );
  }

  push(frame: AudioFrame): void {
    if (this.state !== 'open') return;
    this.reorder.push(frame);
  }

  /**
   * Flushes the reorder buffer, waits for the model to answer what is queued, then closes open turns at `atMs`.
   * Frames pushed after `end` are ignored.
   */
  async end(atMs: number): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'ending';
    this.reorder.flush();
    await this.settled();
    if (this.state !== 'ending') return;
    this.inbound?.finish(atMs);
    this.outbound?.finish(atMs);
    this.release();
  }

  close(): void {
    if (this.state === 'closed') return;
    this.release();
  }

  /** Resolves once the model has answered every window pushed so far (tests, evaluation, `end`). */
  async settled(): Promise<void> {
    while (this.state !== 'closed' && ((this.inbound?.modelQueued ?? 0) > 0 || (this.outbound?.modelQueued ?? 0) > 0)) {
      await this.batcher.whenIdle();
    }
  }

  private release(): void {
    this.state = 'closed';
    this.inbound?.close();
    this.outbound?.close();
    this.onDone(this);
  }
}
