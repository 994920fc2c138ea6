/**
 * Types of the Twilio side of a media stream: what to inject, and what a stream records for assertions.
 */
import type { MediaTrack } from '../src/protocol/twilio-media.js';
import type { ReceivedMark } from './playout-queue.js';

export type { ReceivedMark } from './playout-queue.js';

/** `<Start><Stream>` is a fork (Twilio → server only); `<Connect><Stream>` is bidirectional. */
export type StreamMode = 'fork' | 'bidirectional';

/** The `track` attribute of `<Stream>`. */
export type StreamTrackSetting = 'inbound_track' | 'outbound_track' | 'both_tracks';

/**
 * Misbehaviour to inject, for the app's robustness tests. Chunk numbers count the stream's 20 ms ticks from 1
 * (the inbound track's `chunk`).
 */
export interface StreamFaults {
  /** After these chunks, send a text frame that is not JSON. */
  readonly malformedAfterChunks?: readonly number[];
  /** After these chunks, send a `media` frame larger than the 64 KiB the app accepts. */
  readonly oversizedAfterChunks?: readonly number[];
  /** After these chunks, send `{"event":"bogus"}`-style frames of an unknown event. */
  readonly unknownEventAfterChunks?: readonly number[];
  /** After these chunks, send a binary frame (Twilio only sends text). */
  readonly binaryAfterChunks?: readonly number[];
  /** Every Nth media frame is sent twice (same sequence number, as a duplicate delivery). */
  readonly duplicateEvery?: number;
  /** Every Nth tick's frames are held back and sent after the next tick's (out of order). */
  readonly swapEvery?: number;
  /** After `afterChunk`, send `frames` extra media frames at once (audio far faster than real time). */
  readonly flood?: { readonly afterChunk: number; readonly frames: number };
  /** After `afterChunk`, send nothing for `ms`, then the backlog in one burst (a network stall). */
  readonly stall?: { readonly afterChunk: number; readonly ms: number };
  /** End without a `stop` frame (socket just closes). */
  readonly skipStop?: boolean;
  /** Kill the TCP connection (no close handshake) this many ms after `start`. */
  readonly abortAfterMs?: number;
}

/** A DTMF key press on a bidirectional stream, ms after `start`. */
export interface ScriptedDtmf {
  readonly digit: string;
  readonly atMs: number;
}

/** One media frame as sent. */
export interface SentMediaFrame {
  readonly track: MediaTrack;
  readonly chunk: number;
  readonly sequenceNumber: number;
  /** The frame's `timestamp` field. */
  readonly timestamp: number;
  /** ms after `start` it left. */
  readonly t: number;
  readonly stamp?: number;
}

/** Agent audio the server sent (bidirectional). */
export interface ReceivedMedia {
  /** ms after `start`. */
  readonly t: number;
  readonly bytes: number;
  /** `stampFrame` stamp at the head of the payload, if any (echoed audio). */
  readonly stamp?: number;
  /** When this audio starts playing, ms after `start`. */
  readonly playsAt: number;
}

/** A `clear` the server sent. */
export interface ReceivedClear {
  readonly t: number;
  /** Queued audio dropped, bytes. */
  readonly droppedBytes: number;
  /** Marks echoed because of it. */
  readonly flushedMarks: readonly string[];
}

/** How the socket ended. */
export interface StreamClose {
  readonly code: number;
  readonly reason: string;
  /** `server`: the app closed it; `client`: this side (stop, call end, fault); `failed`: never opened. */
  readonly by: 'server' | 'client' | 'failed';
  /** ms after `start` (0 when it never started). */
  readonly t: number;
}

/** Everything a stream did, for assertions. */
export interface MediaStreamRecord {
  readonly streamSid: string;
  readonly url: string;
  readonly mode: StreamMode;
  readonly tracks: readonly MediaTrack[];
  readonly customParameters: Readonly<Record<string, string>>;
  /** Epoch ms of `start`. */
  startedAt?: number;
  /** Upgrade refused: HTTP status, or a connection error. */
  handshakeError?: { readonly status?: number; readonly message: string };
  readonly sent: {
    frames: number;
    media: { inbound: number; outbound: number };
    dtmf: number;
    markEchoes: number;
    faults: number;
    stop: boolean;
  };
  readonly sentMedia: SentMediaFrame[];
  readonly received: {
    readonly media: ReceivedMedia[];
    readonly marks: ReceivedMark[];
    readonly clears: ReceivedClear[];
    /** Frames Twilio would reject (error 31951), or any frame on a fork. */
    readonly invalid: { readonly t: number; readonly reason: string }[];
  };
  /** Agent audio bytes received / played out / dropped by `clear` (bidirectional). */
  readonly audio: { received: number; dropped: number };
  closed?: StreamClose;
}
