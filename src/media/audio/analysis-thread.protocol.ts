import type { MediaTrack } from '../../protocol/twilio-media.js';
import type { AudioEvent, AudioStreamStats } from './audio-processor.interface.js';
import type { SileroAudioProcessorOptions } from './audio-processor.options.js';
import type { ThreadPriority } from './thread-priority.js';

/**
 * The messages between {@link ThreadedAudioProcessor} and its analysis thread. Frames cross in batches: one
 * transferred `ArrayBuffer` of fixed-layout records per flush (see {@link FrameBatchWriter}), so the event loop pays
 * a copy of each payload and one `postMessage` per flush, not a structured clone per frame.
 */

/**
 * What the worker is started with: its processor's options (`onError` cannot cross a thread: the worker reports errors
 * as messages), and whether to lower its own priority once the model has loaded.
 */
export interface AnalysisWorkerData {
  readonly processor: Omit<SileroAudioProcessorOptions, 'onError'>;
  readonly lowerPriority: boolean;
}

/** Main thread → worker. Control messages are ordered with the frames: pending frames are flushed before each. */
export type ToAnalysisThread =
  | { readonly type: 'open'; readonly id: number; readonly tracks: readonly MediaTrack[] }
  | { readonly type: 'frames'; readonly buffer: ArrayBuffer; readonly length: number }
  | { readonly type: 'end'; readonly id: number; readonly atMs: number }
  | { readonly type: 'close'; readonly id: number };

/** Worker → main thread. */
export type FromAnalysisThread =
  | { readonly type: 'ready'; readonly priority: ThreadPriority }
  /** `batches`: frame batches taken so far (the starvation watchdog's measure); `events`: [stream id, event]. */
  | { readonly type: 'progress'; readonly batches: number; readonly events: readonly (readonly [number, AudioEvent])[] }
  | { readonly type: 'ended'; readonly id: number; readonly stats: AudioStreamStats }
  | { readonly type: 'totals'; readonly totals: AnalysisTotals }
  | { readonly type: 'error'; readonly message: string };

/** The thread's model counters, sent twice a second (the bench and metrics read them). */
export interface AnalysisTotals {
  /** Model runs, windows judged, largest batch, since the thread started. */
  readonly runs: number;
  readonly windows: number;
  readonly largestBatch: number;
  /** Over the streams open now: windows the model judged, and windows it skipped because it was behind. */
  readonly modelWindows: number;
  readonly skipped: number;
}

/** Record header: f64 sequenceNumber, f64 timestamp, u32 stream id, u8 track, u8 unused, u16 payload length. */
const HEADER = 24;
const TRACK_CODES: readonly MediaTrack[] = ['inbound', 'outbound'];

/**
 * Appends frames to a growable buffer that is handed over (transferred) whole on {@link take}. Telephone frames are
 * 160 bytes; the buffer grows by doubling for bigger ones, and starts again small after each take.
 */
export class FrameBatchWriter {
  private buffer: ArrayBuffer;
  private view: DataView;
  private bytes: Uint8Array;
  private used = 0;

  constructor(private readonly initialBytes = 64 * 1024) {
    this.buffer = new ArrayBuffer(initialBytes);
    this.view = new DataView(this.buffer);
    this.bytes = new Uint8Array(this.buffer);
  }

  /** Bytes written since the last take. */
  get length(): number {
    return this.used;
  }

  append(id: number, sequenceNumber: number, track: MediaTrack, timestamp: number, payload: Uint8Array): void {
    const n = Math.min(payload.length, 0xffff);
    const size = (HEADER + n + 7) & ~7;
    if (this.used + size > this.buffer.byteLength) this.grow(this.used + size);
    const at = this.used;
    this.view.setFloat64(at, sequenceNumber, true);
    this.view.setFloat64(at + 8, timestamp, true);
    this.view.setUint32(at + 16, id, true);
    this.view.setUint8(at + 20, track === 'outbound' ? 1 : 0);
    this.view.setUint16(at + 22, n, true);
    this.bytes.set(n === payload.length ? payload : payload.subarray(0, n), at + HEADER);
    this.used += size;
  }

  /** The written records, to be transferred; the writer starts a fresh buffer. */
  take(): { buffer: ArrayBuffer; length: number } {
    const out = { buffer: this.buffer, length: this.used };
    this.buffer = new ArrayBuffer(this.initialBytes);
    this.view = new DataView(this.buffer);
    this.bytes = new Uint8Array(this.buffer);
    this.used = 0;
    return out;
  }

  private grow(atLeast: number): void {
    let size = this.buffer.byteLength * 2;
    while (size < atLeast) size *= 2;
    const next = new ArrayBuffer(size);
    new Uint8Array(next).set(this.bytes.subarray(0, this.used));
    this.buffer = next;
    this.view = new DataView(next);
    this.bytes = new Uint8Array(next);
  }
}

/** Calls `each` for every record of a batch; `payload` is a view valid during the call. */
export function readFrameBatch(
  buffer: ArrayBuffer,
  length: number,
  each: (id: number, sequenceNumber: number, track: MediaTrack, timestamp: number, payload: Uint8Array) => void,
): void {
  const view = new DataView(buffer);
  let at = 0;
  while (at + HEADER <= length) {
    const n = view.getUint16(at + 22, true);
    each(
      view.getUint32(at + 16, true),
      view.getFloat64(at, true),
      TRACK_CODES[view.getUint8(at + 20)] ?? 'inbound',
      view.getFloat64(at + 8, true),
      new Uint8Array(buffer, at + HEADER, n),
    );
    at += (HEADER + n + 7) & ~7;
  }
}
