import type { MediaTrack } from '../../protocol/twilio-media.js';
import { MULAW_BYTES_PER_MS } from '../../protocol/twilio-media.js';
import type { AudioFrame, AudioStreamStats } from './audio-processor.interface.js';

/** Tuning of the {@link ReorderBuffer}. */
export interface ReorderBufferOptions {
  /** A frame may arrive this much stream time after the frames that follow it and still be put back in order. */
  readonly windowMs: number;
  /** Frames held at most (both tracks together); when full the oldest gap is given up. */
  readonly slots: number;
  /** Bytes a held frame may carry; a larger frame that must wait gives up the gaps before it instead. */
  readonly slotBytes: number;
  /** Sequence numbers remembered to spot duplicates. */
  readonly historySize: number;
}

export const DEFAULT_REORDER_OPTIONS: ReorderBufferOptions = {
  windowMs: 60,
  slots: 16,
  slotBytes: 1024,
  historySize: 512,
};

/**
 * Receives each track's frames in order: the frame's bytes are `data[start..end)`, valid only during the call
 * (passed as a range so releasing a held frame creates no view object).
 */
export type ReorderSink = (track: MediaTrack, timestamp: number, data: Uint8Array, start: number, end: number) => void;

/** The counters a reorder buffer keeps (a subset of the stream's stats, updated in place). */
export type ReorderStats = Pick<
  AudioStreamStats,
  'framesIn' | 'framesReordered' | 'framesLate' | 'framesDuplicate' | 'framesMissing'
> & { framesInvalid?: number };

const TRACKS: readonly MediaTrack[] = ['inbound', 'outbound'];
/** Timestamps within this of the expected one (and within half a frame) count as contiguous: jitter, not a gap. */
const CONTIGUOUS_TOLERANCE_MS = 10;

/**
 * Puts a stream's media frames back in `sequenceNumber` order, per track, with bounded memory.
 *
 * The sequence number is shared by both tracks and by non-media messages (marks, dtmf), so a gap in it does not
 * mean a frame is missing. A frame is released at once when nothing of its track can be missing before it: its
 * timestamp follows on from the track's last frame, or every sequence number in between has been seen. Otherwise
 * it waits, until the gap fills or the stream has moved `windowMs` past the track's expected time, when the gap
 * is skipped and counted as missing. Frames older than what was released are late (dropped, counted); repeated
 * sequence numbers, and frames for stream time the track already covered, are duplicates (dropped, counted). The
 * common in-order case copies nothing.
 */
export class ReorderBuffer {
  // Held frames live in fixed slots; each track keeps its held slot indices sorted by sequence number.
  private readonly slotSeq: Float64Array;
  private readonly slotTs: Float64Array;
  private readonly slotLen: Int32Array;
  private readonly slotData: Uint8Array;
  private readonly freeSlots: Int32Array;
  private freeCount: number;
  private readonly held: Int32Array[];
  private readonly heldCount = [0, 0];
  // Per track: last released sequence number, expected next timestamp, newest sequence number seen, frame length.
  private readonly lastSeq = [-1, -1];
  private readonly expectedTs = [0, 0];
  private readonly maxSeq = [-1, -1];
  private readonly frameMs = [20, 20];
  /** Sequence numbers seen recently: slot `seq % historySize` holds `seq` once seen. */
  private readonly history: Float64Array;
  /** Newest timestamp seen on the stream (either track): the clock that expires a wait. */
  private newestTs = 0;

  constructor(
    private readonly options: ReorderBufferOptions,
    private readonly stats: ReorderStats,
    private readonly sink: ReorderSink,
  ) {
    const { slots, slotBytes, historySize } = options;
    this.slotSeq = new Float64Array(slots);
    this.slotTs = new Float64Array(slots);
    this.slotLen = new Int32Array(slots);
    this.slotData = new Uint8Array(slots * slotBytes);
    this.freeSlots = Int32Array.from({ length: slots }, (_, i) => i);
    this.freeCount = slots;
    this.held = [new Int32Array(slots), new Int32Array(slots)];
    this.history = new Float64Array(historySize).fill(-1);
  }

  /** Takes one frame; releases to the sink whatever is now in order. Never throws on bad input. */
  push(frame: AudioFrame): void {
    this.stats.framesIn++;
    const seq = frame.sequenceNumber;
    const t = frame.track === 'inbound' ? 0 : frame.track === 'outbound' ? 1 : -1;
    const payload = frame.payload;
    if (t < 0 || !Number.isSafeInteger(seq) || seq < 0 || !(payload instanceof Uint8Array)) {
      this.stats.framesInvalid = (this.stats.framesInvalid ?? 0) + 1;
      return;
    }
    const h = seq % this.history.length;
    if (this.history[h] === seq) {
      this.stats.framesDuplicate++;
      return;
    }
    this.history[h] = seq;
    const ts = Number.isFinite(frame.timestamp) && frame.timestamp >= 0 ? frame.timestamp : this.expectedTs[t]!;
    if (ts > this.newestTs) this.newestTs = ts;
    if (seq <= this.lastSeq[t]!) {
      // Its place has passed: the track already moved beyond it.
      this.stats.framesLate++;
      this.drainAll();
      return;
    }
    if (this.lastSeq[t]! >= 0 && ts < this.expectedTs[t]! - Math.min(CONTIGUOUS_TOLERANCE_MS, this.frameMs[t]! / 2)) {
      // A new sequence number for stream time the track has already covered: a replay, not audio. Appending it would
      // push the rest of the track later in time.
      this.stats.framesDuplicate++;
      return;
    }
    if (seq < this.maxSeq[t]!) this.stats.framesReordered++;
    else this.maxSeq[t] = seq;

    if (this.heldCount[t] === 0 && this.isNext(t, seq, ts)) {
      this.release(t, seq, ts, payload, 0, payload.byteLength);
    } else if (payload.byteLength > this.options.slotBytes) {
      // Too big to hold: give up the gaps before it rather than keep it (or truncate it).
      this.releaseHeldBefore(t, seq);
      this.skipTo(t, seq, ts);
      this.release(t, seq, ts, payload, 0, payload.byteLength);
    } else {
      if (this.freeCount === 0) this.giveUpOldest();
      this.hold(t, seq, ts, payload);
    }
    this.drainAll();
  }

  /** Releases everything held, in order, counting the gaps as missing (end of stream). */
  flush(): void {
    for (let t = 0; t < 2; t++) {
      while (this.heldCount[t]! > 0) this.releaseHead(t, true);
    }
  }

  /**
   * Whether nothing of track `t` can be missing before a frame with this sequence number and timestamp. A track's
   * first frame is expected at stream time 0; a later one waits the window out once (its predecessor may be late).
   */
  private isNext(t: number, seq: number, ts: number): boolean {
    if (ts <= this.expectedTs[t]! + Math.min(CONTIGUOUS_TOLERANCE_MS, this.frameMs[t]! / 2)) return true;
    const last = this.lastSeq[t]!;
    if (last < 0 || seq - last > this.history.length) return false;
    for (let s = last + 1; s < seq; s++) if (this.history[s % this.history.length] !== s) return false;
    return true;
  }

  private drainAll(): void {
    for (let t = 0; t < 2; t++) {
      while (this.heldCount[t]! > 0) {
        const slot = this.held[t]![0]!;
        const seq = this.slotSeq[slot]!;
        const ts = this.slotTs[slot]!;
        if (this.isNext(t, seq, ts)) this.releaseHead(t, false);
        else if (this.newestTs - this.expectedTs[t]! > this.options.windowMs) this.releaseHead(t, true);
        else break;
      }
    }
  }

  /** Releases track `t`'s lowest held frame; `skipGap` counts what is missing before it. */
  private releaseHead(t: number, skipGap: boolean): void {
    const held = this.held[t]!;
    const slot = held[0]!;
    const count = --this.heldCount[t]!;
    held.copyWithin(0, 1, count + 1);
    const seq = this.slotSeq[slot]!;
    const ts = this.slotTs[slot]!;
    if (skipGap) this.skipTo(t, seq, ts);
    const start = slot * this.options.slotBytes;
    this.release(t, seq, ts, this.slotData, start, start + this.slotLen[slot]!);
    this.freeSlots[this.freeCount++] = slot;
  }

  private releaseHeldBefore(t: number, seq: number): void {
    while (this.heldCount[t]! > 0 && this.slotSeq[this.held[t]![0]!]! < seq) this.releaseHead(t, true);
  }

  /** Counts the frames of track `t` that never came between its last released frame and this one. */
  private skipTo(t: number, seq: number, ts: number): void {
    const last = this.lastSeq[t]!;
    // Before a track's first frame nothing was promised: a stream may start its clock before its audio.
    if (last < 0 || this.isNext(t, seq, ts)) return;
    let unseen = 0;
    const span = Math.min(seq - last - 1, this.history.length);
    for (let s = seq - span; s < seq; s++) if (this.history[s % this.history.length] !== s) unseen++;
    const byTime = Math.round((ts - this.expectedTs[t]!) / this.frameMs[t]!);
    this.stats.framesMissing += Math.max(1, Math.min(unseen, byTime));
  }

  /** Frees the slot of whichever track's head frame is oldest, giving up its gap. */
  private giveUpOldest(): void {
    let t = -1;
    for (let k = 0; k < 2; k++) {
      if (this.heldCount[k]! > 0 && (t < 0 || this.slotSeq[this.held[k]![0]!]! < this.slotSeq[this.held[t]![0]!]!)) {
        t = k;
      }
    }
    if (t >= 0) this.releaseHead(t, true);
  }

  private hold(t: number, seq: number, ts: number, payload: Uint8Array): void {
    const slot = this.freeSlots[--this.freeCount]!;
    this.slotSeq[slot] = seq;
    this.slotTs[slot] = ts;
    this.slotLen[slot] = payload.byteLength;
    this.slotData.set(payload, slot * this.options.slotBytes);
    const held = this.held[t]!;
    let i = this.heldCount[t]!++;
    while (i > 0 && this.slotSeq[held[i - 1]!]! > seq) {
      held[i] = held[i - 1]!;
      i--;
    }
    held[i] = slot;
  }

  private release(t: number, seq: number, ts: number, data: Uint8Array, start: number, end: number): void {
    const bytes = end - start;
    this.lastSeq[t] = seq;
    const ms = bytes / MULAW_BYTES_PER_MS;
    if (ms > 0) this.frameMs[t] = ms;
    this.expectedTs[t] = Math.max(ts, this.expectedTs[t]!) + ms;
    this.sink(TRACKS[t]!, ts, data, start, end);
  }
}
