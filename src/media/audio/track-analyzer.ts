import type { MediaTrack } from '../../protocol/twilio-media.js';
import { MULAW_BYTES_PER_MS } from '../../protocol/twilio-media.js';
import type { AudioEvent, AudioStreamStats } from './audio-processor.interface.js';
import type { ResolvedAudioProcessorOptions, TrackDetector } from './audio-processor.options.js';
import { DtmfDetector, NO_KEY } from './dtmf-detector.js';
import { EnergyGate } from './energy-gate.js';
import { decodeMulawInto } from './mulaw.js';
import type { SileroBatcher, SileroClient } from './silero-batcher.js';
import { SILERO_CONTEXT, SILERO_INPUT, SILERO_SAMPLE_RATE, SILERO_STATE, SILERO_WINDOW } from './silero-model.js';
import { TurnTracker, type TurnDater } from './turn-tracker.js';

/** Stream counters a track updates (the stream's stats object, shared). */
export type TrackStats = Pick<AudioStreamStats, 'modelWindows' | 'gatedWindows'> & { modelSkippedWindows?: number };

/** Everything a {@link TrackAnalyzer} needs from its stream. */
export interface TrackAnalyzerDeps {
  readonly track: MediaTrack;
  readonly detector: TrackDetector;
  readonly options: ResolvedAudioProcessorOptions;
  /** Required when `detector` is `model`. */
  readonly batcher?: SileroBatcher;
  readonly stats: TrackStats;
  readonly emit: (event: AudioEvent) => void;
}

const WINDOW_MS = (SILERO_WINDOW * 1000) / SILERO_SAMPLE_RATE;
/** Sub-blocks per window for dating (4 × 64 samples = 8 ms each). */
const SUB_BLOCKS = 4;
const SUB_BLOCK = SILERO_WINDOW / SUB_BLOCKS;
const SUB_BLOCK_MS = WINDOW_MS / SUB_BLOCKS;
/** Windows remembered (4 s): covers dating lookbacks plus the model's queue. */
const RING = 128;
const LOUD_BITS = (1 << SUB_BLOCKS) - 1;
const TONE = 1 << 4;
const OPEN = 1 << 5;
/** Timestamp gaps below this are clock jitter, not lost audio. */
const GAP_MIN_MS = 10;
/** How far back the end of a turn may be dated before the last window heard as speech (Silero's tail lingers). */
const END_LOOKBACK_MS = 320;
/** Below this speech probability the model is sure a window is background. */
const NOISE_PROB = 0.1;
/** How far past that window loud audio may extend the end. */
const END_LOOKAHEAD_WINDOWS = 2;

/**
 * The analysis of one track: decodes mu-law straight into the model's input window, runs the first stage (energy
 * gate + DTMF) on every 32 ms window, queues the windows that need the model on the shared batcher, and feeds the
 * settled windows, in order, to the turn logic, which emits events dated with the energy record. Memory is fixed
 * at construction: a window ring, the model queue, the filters.
 */
export class TrackAnalyzer implements SileroClient, TurnDater {
  readonly modelState = new Float32Array(SILERO_STATE);
  modelQueued = 0;
  modelClosed = false;

  private readonly options: ResolvedAudioProcessorOptions;
  private readonly gate: EnergyGate;
  private readonly dtmf: DtmfDetector | undefined;
  private readonly turns: TurnTracker;
  /** Current window: SILERO_CONTEXT samples of the previous window, then the new ones. */
  private readonly input = new Float32Array(SILERO_INPUT);
  private fill = 0;
  /** Samples of the current window that are gap filler, not audio, and the sub-blocks they touch (bit mask). */
  private filler = 0;
  private fillerMask = 0;
  /** Stream time of the next sample (NaN before the first frame). */
  private clockMs = Number.NaN;
  private windowStartMs = 0;

  // Window ring (struct of arrays): start time, probability (NaN = waiting for the model), flags, DTMF press.
  private readonly wStart = new Float64Array(RING);
  private readonly wProb = new Float32Array(RING);
  private readonly wFlags = new Uint8Array(RING);
  private readonly wDigit: (string | undefined)[] = new Array<string | undefined>(RING).fill(undefined);
  private readonly wDigitAt = new Float64Array(RING);
  /** Energy of every sub-block in the ring, dB (for the turn's dynamic range when dating its end). */
  private readonly subDb = new Float32Array(RING * SUB_BLOCKS);
  /** Window energy, dB (to teach the gate what the model called background). */
  private readonly wDb = new Float32Array(RING);
  /** Window where the open turn's confirming run began (bounds the peak search). */
  private turnFirstUnit = 0;
  /** Windows formed / windows handed to the turn logic. */
  private written = 0;
  private decided = 0;

  // Model queue (ring): inputs, their window index, whether to reset the RNN state first.
  private readonly queue: Float32Array;
  private readonly queueWindow: Float64Array;
  private readonly queueReset: Uint8Array;
  private queueHead = 0;

  // The last few windows' inputs, to warm the model up on the audio just before the gate opened.
  private readonly recent: Float32Array;
  private readonly recentSize: number;
  private recentFilled = 0;
  /** Last window the gate opened / last window that went to the model. */
  private lastOpen = Number.NEGATIVE_INFINITY;
  private lastModel = Number.NEGATIVE_INFINITY;

  private gateShutMs = Number.POSITIVE_INFINITY;
  private previousTone = false;
  private readonly dtmfBlocks: number;

  constructor(private readonly deps: TrackAnalyzerDeps) {
    const o = (this.options = deps.options);
    if (deps.detector === 'model' && !deps.batcher)
      throw new Error('TrackAnalyzer: the model detector needs a batcher');
    this.gate = new EnergyGate(o.gate, SILERO_WINDOW, SUB_BLOCK, SILERO_SAMPLE_RATE);
    this.dtmf = o.dtmf ? new DtmfDetector(o.dtmf, SILERO_SAMPLE_RATE) : undefined;
    this.dtmfBlocks = o.dtmf ? SILERO_WINDOW / o.dtmf.blockSize : 0;
    const q = deps.detector === 'model' ? o.maxQueuedWindows : 0;
    this.recentSize = deps.detector === 'model' ? o.preRollWindows : 0;
    this.recent = new Float32Array(this.recentSize * SILERO_INPUT);
    this.queue = new Float32Array(q * SILERO_INPUT);
    this.queueWindow = new Float64Array(q);
    this.queueReset = new Uint8Array(q);
    this.turns = new TurnTracker(
      o.turns,
      (type, at, detectedAt) => deps.emit({ type, track: deps.track, at, detectedAt }),
      this,
    );
  }

  /** Feeds `data[start..end)` (mu-law) that starts at stream time `timestamp`. */
  feed(timestamp: number, data: Uint8Array, start: number, end: number): void {
    if (this.modelClosed) return;
    if (Number.isNaN(this.clockMs)) {
      this.clockMs = timestamp;
    } else {
      const gap = timestamp - this.clockMs;
      if (gap >= GAP_MIN_MS) {
        // Lost frames: fill with silence so the windows keep their times; past the cap, jump the clock instead.
        const fillMs = Math.min(gap, this.options.maxGapFillMs);
        this.write(undefined, 0, Math.round(fillMs * MULAW_BYTES_PER_MS));
        if (gap > fillMs) this.clockMs = timestamp;
      }
      // A timestamp behind the clock (overlap, odd clock) is ignored: the audio continues the track.
    }
    this.write(data, start, end - start);
  }

  /** End of stream: closes an open turn at `atMs`. Call once the model has answered every window. */
  finish(atMs: number): void {
    if (this.modelClosed) return;
    this.advance();
    this.turns.end(atMs);
  }

  /** Stops everything; no further events. */
  close(): void {
    this.modelClosed = true;
    this.modelQueued = 0;
  }

  // --- SileroClient -------------------------------------------------------------------------------------------

  copyModelWindow(dst: Float32Array, offset: number): boolean {
    const from = this.queueHead * SILERO_INPUT;
    const q = this.queue;
    for (let i = 0; i < SILERO_INPUT; i++) dst[offset + i] = q[from + i]!;
    return this.queueReset[this.queueHead] === 1;
  }

  modelResult(prob: number): void {
    const index = this.dequeue();
    if (index < 0) return;
    // Audio loud enough for the gate that the model calls background: the floor should learn it.
    if (prob < NOISE_PROB && index >= this.written - RING) this.gate.learnNoise(this.wDb[index % RING]!);
    this.settle(index, prob);
  }

  modelFailed(): void {
    // No model (it failed to load or run): the track falls back to the first stage alone, like the agent track.
    const index = this.dequeue();
    if (index >= 0) this.settle(index, this.wFlags[index % RING]! & OPEN ? 1 : 0);
  }

  // --- TurnDater: the energy record dates turns finer than the 32 ms windows ---------------------------------

  onset(firstUnit: number, unitStartMs: number): number {
    this.turnFirstUnit = firstUnit;
    const maxGap = this.options.datingGapBlocks;
    const lowest = Math.max(this.written - RING, firstUnit - Math.ceil(this.options.onsetLookbackMs / WINDOW_MS), 0);
    let earliest = Number.NaN;
    let gap = 0;
    walk: for (let w = firstUnit - 1; w >= lowest; w--) {
      const flags = this.wFlags[w % RING]!;
      if (flags & TONE) break;
      for (let s = SUB_BLOCKS - 1; s >= 0; s--) {
        if (flags & (1 << s)) {
          earliest = this.wStart[w % RING]! + s * SUB_BLOCK_MS;
          gap = 0;
        } else if (++gap > maxGap) {
          break walk;
        }
      }
    }
    // A sub-block is loud when the 24 ms ending with it is: the rise began about one sub-block before the first
    // loud one (centre of that span), not at it.
    if (!Number.isNaN(earliest)) return earliest - SUB_BLOCK_MS;
    // Nothing loud just before: the first loud sub-block of the first speech window, else its start.
    const flags = this.wFlags[firstUnit % RING]!;
    for (let s = 0; s < SUB_BLOCKS; s++) if (flags & (1 << s)) return unitStartMs + (s - 1) * SUB_BLOCK_MS;
    return unitStartMs;
  }

  end(lastUnit: number, unitEndMs: number): number {
    const maxGap = this.options.datingGapBlocks;
    const lowest = Math.max(this.written - RING, lastUnit - Math.ceil(END_LOOKBACK_MS / WINDOW_MS), 0);
    const highest = Math.min(lastUnit + END_LOOKAHEAD_WINDOWS, this.written - 1);
    // Speech has ended where it is no longer loud against the noise floor or no longer within the turn's dynamic
    // range of its loudest part (a breathy tail 35 dB down is not speech any more).
    let peak = -Infinity;
    for (let i = Math.max(this.turnFirstUnit, this.written - RING) * SUB_BLOCKS; i < (highest + 1) * SUB_BLOCKS; i++) {
      const db = this.subDb[i % (RING * SUB_BLOCKS)]!;
      if (db > peak) peak = db;
    }
    const minDb = peak - this.options.endDynamicRangeDb;
    const loud = (w: number, k: number): boolean =>
      (this.wFlags[w % RING]! & (1 << k)) !== 0 && this.subDb[(w % RING) * SUB_BLOCKS + k]! >= minDb;
    // The last loud sub-block at or before the end of the last speech window...
    let w = lastUnit;
    let s = -1;
    for (; w >= lowest; w--) {
      for (s = SUB_BLOCKS - 1; s >= 0 && !loud(w, s); s--);
      if (s >= 0) break;
    }
    if (w < lowest || s < 0) return unitEndMs;
    let last = this.wStart[w % RING]! + (s + 1) * SUB_BLOCK_MS;
    // ...extended by the loud audio that runs on from it (a soft ending the model let go of early).
    let gap = 0;
    walk: for (; w <= highest; w++, s = -1) {
      if (this.wFlags[w % RING]! & TONE) break;
      for (let k = s + 1; k < SUB_BLOCKS; k++) {
        if (loud(w, k)) {
          last = this.wStart[w % RING]! + (k + 1) * SUB_BLOCK_MS;
          gap = 0;
        } else if (++gap > maxGap) {
          break walk;
        }
      }
    }
    return last;
  }

  // --- pipeline -----------------------------------------------------------------------------------------------

  /** Writes `count` samples (decoded from `data` at `start`, or silence when `data` is undefined). */
  private write(data: Uint8Array | undefined, start: number, count: number): void {
    let i = 0;
    while (i < count) {
      if (this.fill === 0) this.windowStartMs = this.clockMs;
      const take = Math.min(count - i, SILERO_WINDOW - this.fill);
      const at = SILERO_CONTEXT + this.fill;
      if (data) decodeMulawInto(data, start + i, take, this.input, at);
      else {
        this.input.fill(0, at, at + take);
        this.filler += take;
        const from = this.fill / SUB_BLOCK;
        for (let b = Math.floor(from); b < (this.fill + take) / SUB_BLOCK; b++) this.fillerMask |= 1 << b;
      }
      this.fill += take;
      i += take;
      this.clockMs += take / MULAW_BYTES_PER_MS;
      if (this.fill === SILERO_WINDOW) this.completeWindow();
    }
  }

  private completeWindow(): void {
    if (this.written - this.decided >= RING) this.forceOldest();
    const index = this.written;
    const slot = index % RING;
    const input = this.input;
    const startMs = this.windowStartMs;
    // Gap filler says nothing about the background: judged, not learnt from (the whole window if mostly filler).
    this.gate.analyse(input, SILERO_CONTEXT, this.filler > SILERO_WINDOW / 2 ? LOUD_BITS : this.fillerMask);
    this.filler = 0;
    this.fillerMask = 0;
    let flags = (this.gate.loudMask & LOUD_BITS) | (this.gate.open ? OPEN : 0);

    let tone = false;
    this.wDigit[slot] = undefined;
    if (this.dtmf) {
      const block = SILERO_WINDOW / this.dtmfBlocks;
      for (let b = 0; b < this.dtmfBlocks; b++) {
        const key = this.dtmf.process(input, SILERO_CONTEXT + b * block, startMs + (b * block) / MULAW_BYTES_PER_MS);
        if (key !== NO_KEY) tone = true;
        if (this.dtmf.event) {
          this.wDigit[slot] = this.dtmf.event;
          this.wDigitAt[slot] = this.dtmf.eventAt;
        }
      }
    }
    // A tone's window and the one after (its ragged tail) are never speech.
    const blocked = tone || this.previousTone;
    this.previousTone = tone;
    if (blocked) flags |= TONE;

    const stats = this.deps.stats;
    let prob: number;
    let queued = false;
    if (blocked) {
      prob = 0;
    } else if (this.deps.detector === 'gate') {
      prob = this.gate.open ? 1 : 0;
    } else if (!this.gate.open && index - this.lastOpen > this.options.gateHoldWindows) {
      prob = 0;
      this.gateShutMs += WINDOW_MS;
    } else if (this.modelQueued + this.recentSize >= this.options.maxQueuedWindows) {
      // The model is far behind (or a huge payload arrived at once): settle by the first stage.
      prob = this.fallbackProb();
      stats.modelSkippedWindows = (stats.modelSkippedWindows ?? 0) + 1;
    } else {
      // Silero judges speech against the background it has heard: after a gap, replay the windows before this one
      // (results discarded) so the state has that context, instead of starting cold on the onset.
      const reset = this.gateShutMs >= this.options.resetStateAfterMs;
      const from = Math.max(index - this.recentSize, this.lastModel + 1, index - this.recentFilled);
      for (let w = from; w < index; w++) {
        this.enqueue(this.recent, (w % this.recentSize) * SILERO_INPUT, -1, reset && w === from);
        stats.modelWindows++;
      }
      this.enqueue(this.input, 0, index, reset && from === index);
      this.gateShutMs = 0;
      this.lastModel = index;
      prob = Number.NaN;
      queued = true;
    }
    if (this.gate.open && !blocked) this.lastOpen = index;
    if (queued) stats.modelWindows++;
    else stats.gatedWindows++;
    if (this.recentSize > 0) {
      this.recent.set(input, (index % this.recentSize) * SILERO_INPUT);
      if (this.recentFilled < this.recentSize) this.recentFilled++;
    }

    this.wStart[slot] = startMs;
    this.wProb[slot] = prob;
    this.wFlags[slot] = flags;
    this.subDb.set(this.gate.subDb, slot * SUB_BLOCKS);
    this.wDb[slot] = this.gate.windowDb;
    this.written++;
    input.copyWithin(0, SILERO_WINDOW, SILERO_INPUT);
    this.fill = 0;
    if (queued) this.deps.batcher!.submit(this);
    this.advance();
  }

  /**
   * Verdict for a window the model had no room for: loud audio may carry on a turn the model started (the stop
   * threshold) but never starts one, so an overloaded box misses turns rather than inventing them from noise.
   */
  private fallbackProb(): number {
    return this.gate.open ? this.options.turns.stopThreshold : 0;
  }

  /** Queues `SILERO_INPUT` samples of `src` from `from` for window `index` (-1: warm-up, result unused). */
  private enqueue(src: Float32Array, from: number, index: number, reset: boolean): void {
    const max = this.options.maxQueuedWindows;
    const q = (this.queueHead + this.modelQueued) % max;
    const to = q * SILERO_INPUT;
    for (let i = 0; i < SILERO_INPUT; i++) this.queue[to + i] = src[from + i]!;
    this.queueWindow[q] = index;
    // After a long shut gate the old state describes audio long gone: start the model afresh.
    this.queueReset[q] = reset ? 1 : 0;
    this.modelQueued++;
  }

  private dequeue(): number {
    const index = this.queueWindow[this.queueHead]!;
    this.queueHead = (this.queueHead + 1) % this.options.maxQueuedWindows;
    this.modelQueued--;
    return index;
  }

  /** A model answer for window `index` (ignored if the window was already settled without it). */
  private settle(index: number, prob: number): void {
    if (this.modelClosed) return;
    if (index >= this.decided && Number.isNaN(this.wProb[index % RING]!)) this.wProb[index % RING] = prob;
    this.advance();
  }

  /** The ring is full of windows waiting for the model: settle the oldest by the first stage. */
  private forceOldest(): void {
    const slot = this.decided % RING;
    if (Number.isNaN(this.wProb[slot]!)) {
      this.wProb[slot] = this.wFlags[slot]! & OPEN ? this.options.turns.stopThreshold : 0;
      this.deps.stats.modelSkippedWindows = (this.deps.stats.modelSkippedWindows ?? 0) + 1;
    }
    this.advance();
  }

  /** Hands settled windows, in order, to the turn logic; emits DTMF presses in the same order. */
  private advance(): void {
    while (this.decided < this.written && !this.modelClosed) {
      const slot = this.decided % RING;
      const prob = this.wProb[slot]!;
      if (Number.isNaN(prob)) return;
      const start = this.wStart[slot]!;
      this.turns.update(this.decided, start, start + WINDOW_MS, prob, (this.wFlags[slot]! & TONE) !== 0);
      const digit = this.wDigit[slot];
      this.decided++;
      if (digit !== undefined) {
        this.deps.emit({
          type: 'dtmf',
          track: this.deps.track,
          digit,
          at: this.wDigitAt[slot]!,
          detectedAt: start + WINDOW_MS,
        });
      }
    }
  }
}
