import type { MediaTrack } from '../../protocol/twilio-media.js';

/** Injection token of the {@link AudioProcessor} the media gateway uses. */
export const AUDIO_PROCESSOR = Symbol('AUDIO_PROCESSOR');

/**
 * One media frame as the processor receives it: already parsed at the edge, payload already decoded from base64.
 * `payload` may be a view on a buffer the caller reuses after `push` returns: copy what you keep.
 */
export interface AudioFrame {
  /** Twilio's per-stream message counter (shared by both tracks); the reorder key. */
  readonly sequenceNumber: number;
  readonly track: MediaTrack;
  /** Milliseconds since the stream started (Twilio's `media.timestamp`): the time axis of every event. */
  readonly timestamp: number;
  /** Raw 8 kHz mu-law bytes. */
  readonly payload: Uint8Array;
}

/**
 * A detection on one track. Times are stream time (ms, the `timestamp` axis of the frames):
 * `at` is when the thing really happened (a turn's onset or its last speech, dated back by the detector),
 * `detectedAt` is the stream time of the frame whose processing confirmed it (`detectedAt - at` is the detector's delay).
 */
export type AudioEvent =
  | { readonly type: 'speech.started'; readonly track: MediaTrack; readonly at: number; readonly detectedAt: number }
  | { readonly type: 'speech.stopped'; readonly track: MediaTrack; readonly at: number; readonly detectedAt: number }
  | {
      readonly type: 'dtmf';
      readonly track: MediaTrack;
      readonly digit: string;
      readonly at: number;
      readonly detectedAt: number;
    };

/** Counters of one stream's frames, for metrics and the call record. */
export interface AudioStreamStats {
  /** Frames handed to `push`. */
  framesIn: number;
  /** Frames that arrived out of order and were put back in order. */
  framesReordered: number;
  /** Frames that arrived too late to reorder (more than the reorder window behind) and were dropped. */
  framesLate: number;
  /** Frames whose sequence number was already seen, dropped. */
  framesDuplicate: number;
  /** Sequence numbers that never arrived within the reorder window and were skipped. */
  framesMissing: number;
  /** Analysis windows that went to the speech model; the rest were settled by the cheap first stage. */
  modelWindows: number;
  /** Analysis windows settled by the cheap first stage alone. */
  gatedWindows: number;
  /** Frames refused as unusable (bad sequence number or timestamp). */
  framesInvalid?: number;
  /** Windows that should have gone to the model but found its queue full (counted, settled by the first stage). */
  modelSkippedWindows?: number;
  /** 1 if the stream was analysed on the event loop, from its start or from mid-call, because its analysis thread was starved or dead. */
  movedToEventLoop?: number;
}

/** Options for one stream's analysis. */
export interface AudioStreamOptions {
  /** Tracks the stream carries (`start.tracks`). */
  readonly tracks: readonly MediaTrack[];
  /** Receives every detection, in stream-time order per track. Must not throw. */
  readonly onEvent: (event: AudioEvent) => void;
}

/** Per-stream analysis state returned by {@link AudioProcessor.open}. */
export interface AudioStream {
  /** Feeds one frame. Never throws on bad audio; bounded memory whatever the caller sends. */
  push(frame: AudioFrame): void;
  /**
   * Ends the stream at stream time `atMs`: flushes the reorder buffer, closes open turns (emitting `speech.stopped`).
   * May return a promise (e.g. model inference still in flight) that resolves once every event has been emitted.
   */
  end(atMs: number): void | Promise<void>;
  /** Releases everything without emitting further events (socket died). Idempotent. */
  close(): void;
  readonly stats: Readonly<AudioStreamStats>;
}

/**
 * Turns live call audio into speech and DTMF events. Replaceable: provide your own under {@link AUDIO_PROCESSOR}
 * (or through `MediaModule.forRoot({ audioProcessor })`).
 */
export interface AudioProcessor {
  open(options: AudioStreamOptions): AudioStream;
}
