/** Tuning of a {@link TurnTracker}. */
export interface TurnTrackerOptions {
  /** A unit at or above this speech probability can start (confirm) a turn. */
  readonly startThreshold: number;
  /** Inside a turn, a unit at or above this still counts as speech (hysteresis). */
  readonly stopThreshold: number;
  /** Consecutive units at or above `startThreshold` (by duration) needed to confirm a turn. */
  readonly minSpeechMs: number;
  /** Silence (below `stopThreshold`) that ends a turn: pauses shorter than this stay inside it. */
  readonly hangoverMs: number;
}

/**
 * Dates a turn more finely than the units that decided it: `onset` gets the first unit of the confirming run,
 * `end` the last unit that counted as speech; both return stream time (ms). Units are the caller's indices.
 */
export interface TurnDater {
  onset(firstUnit: number, unitStartMs: number): number;
  end(lastUnit: number, unitEndMs: number): number;
}

/** Receives the turns a {@link TurnTracker} finds: `at` dated back, `detectedAt` the end of the deciding unit. */
export type TurnListener = (type: 'speech.started' | 'speech.stopped', at: number, detectedAt: number) => void;

const UNDATED: TurnDater = { onset: (_u, start) => start, end: (_u, end) => end };

/**
 * Turns a sequence of per-unit speech probabilities (Silero windows, or a baseline's 20 ms frames) into turns:
 * a turn starts after `minSpeechMs` of confident speech and ends after `hangoverMs` of silence, so
 * "wait… no… actually" is one turn. Units must come in time order. Shared by the processor and the baselines of
 * the evaluation so every detector is scored through the same logic.
 */
export class TurnTracker {
  private speaking = false;
  private runFirstUnit = -1;
  private runStartMs = 0;
  private runMs = 0;
  private lastSpeechUnit = -1;
  private lastSpeechEndMs = 0;
  private lastUnitEndMs = 0;
  private turnStartAt = 0;
  private lastStopAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly options: TurnTrackerOptions,
    private readonly listener: TurnListener,
    private readonly dater: TurnDater = UNDATED,
  ) {}

  /** Whether a turn is open. */
  get inTurn(): boolean {
    return this.speaking;
  }

  /**
   * One unit `[startMs, endMs)` with speech probability `prob`. `blocked` (a DTMF tone) means "certainly not
   * speech": it also cancels a run that has not been confirmed yet, so a tone's ragged edge cannot start a turn.
   */
  update(unit: number, startMs: number, endMs: number, prob: number, blocked = false): void {
    this.lastUnitEndMs = endMs;
    const o = this.options;
    if (this.speaking) {
      if (!blocked && prob >= o.stopThreshold) {
        this.lastSpeechUnit = unit;
        this.lastSpeechEndMs = endMs;
      } else if (endMs - this.lastSpeechEndMs >= o.hangoverMs) {
        this.stop(endMs);
      }
      return;
    }
    if (blocked || prob < o.startThreshold) {
      this.runFirstUnit = -1;
      this.runMs = 0;
      return;
    }
    if (this.runFirstUnit < 0) {
      this.runFirstUnit = unit;
      this.runStartMs = startMs;
    }
    this.runMs += endMs - startMs;
    if (this.runMs >= o.minSpeechMs) {
      const dated = this.dater.onset(this.runFirstUnit, this.runStartMs);
      this.turnStartAt = Math.min(Math.max(dated, this.lastStopAt), endMs);
      this.speaking = true;
      this.lastSpeechUnit = unit;
      this.lastSpeechEndMs = endMs;
      this.runFirstUnit = -1;
      this.runMs = 0;
      this.listener('speech.started', this.turnStartAt, endMs);
    }
  }

  /** Closes an open turn at stream time `atMs` (end of stream). */
  end(atMs: number): void {
    this.runFirstUnit = -1;
    this.runMs = 0;
    if (this.speaking) this.stop(Math.max(atMs, this.lastUnitEndMs));
  }

  private stop(detectedAt: number): void {
    this.speaking = false;
    const dated = this.dater.end(this.lastSpeechUnit, this.lastSpeechEndMs);
    const at = Math.min(Math.max(dated, this.turnStartAt), detectedAt);
    this.lastStopAt = at;
    this.listener('speech.stopped', at, detectedAt);
  }
}
