import { AdaptiveFloor } from './adaptive-floor.js';

/** Tuning of the {@link EnergyGate}. All levels in dB relative to full scale (mean square of samples in [-1, 1)). */
export interface EnergyGateOptions {
  /** Energies are measured after a 2nd-order high-pass at this frequency: hum and rumble carry no speech. */
  readonly highPassHz: number;
  /** A window opens the gate (goes to the model) this far above the window-level noise floor, at least. */
  readonly gateMarginDb: number;
  /**
   * An 8 ms sub-block is "loud" (used to date a turn's start and end) when the energy of the 24 ms ending with it
   * is this far above its floor, at least. (24 ms spans a period of mains hum, whose energy seen through 8 ms
   * blocks swings by 10 dB.)
   */
  readonly loudMarginDb: number;
  /** Margins widen to this many times the floor's spread on fluctuating noise. */
  readonly spreadFactor: number;
  /** Nothing quieter than this is loud, whatever the floor (digital silence, line hiss). */
  readonly minLevelDb: number;
  /** Floor dynamics: fall / rise time constants, rise while loud, spread time constant. */
  readonly floorFallMs: number;
  readonly floorRiseMs: number;
  readonly floorLoudRiseDbPerSec: number;
  readonly floorSpreadMs: number;
}

export const DEFAULT_ENERGY_GATE_OPTIONS: EnergyGateOptions = {
  highPassHz: 200,
  gateMarginDb: 5,
  loudMarginDb: 4,
  spreadFactor: 2,
  minLevelDb: -60,
  floorFallMs: 60,
  floorRiseMs: 600,
  floorLoudRiseDbPerSec: 1.5,
  floorSpreadMs: 1000,
};

/** Energies below this are clamped (log of digital silence). */
const MIN_DB = -100;

/**
 * The cheap first stage: per analysis window, high-passed energy against an adaptive noise floor. Decides whether
 * the window needs the speech model (`open`) and marks which 8 ms sub-blocks rise above their own floor
 * (`loudMask`, bit i = sub-block i), which is what dates a turn's start and end to within a few milliseconds.
 * One instance per track; analyses in place, allocates nothing.
 */
export class EnergyGate {
  /** High-passed energy of the last window, dB. */
  windowDb = MIN_DB;
  /** Bit i set when sub-block i of the last window was loud. */
  loudMask = 0;
  /** Whether the last window opened the gate. */
  open = false;
  /** High-passed energy of each sub-block of the last window, dB. */
  readonly subDb: Float32Array;
  /** Mean squares of the sub-blocks of the last window. */
  private readonly subPower: Float64Array;

  private readonly windowFloor: AdaptiveFloor;
  private readonly subFloor: AdaptiveFloor;
  private readonly subBlocks: number;
  // Biquad high-pass (RBJ cookbook, Q = 1/sqrt(2)), direct form I; state carried across windows.
  private readonly b0: number;
  private readonly b1: number;
  private readonly b2: number;
  private readonly a1: number;
  private readonly a2: number;
  /** Mean squares of the two sub-blocks before the current one (for the trailing 24 ms energy). */
  private prev1 = 0;
  private prev2 = 0;
  private x1 = 0;
  private x2 = 0;
  private y1 = 0;
  private y2 = 0;

  constructor(
    readonly options: EnergyGateOptions,
    private readonly windowSize: number,
    private readonly subBlockSize: number,
    sampleRate: number,
  ) {
    if (windowSize % subBlockSize !== 0 || windowSize / subBlockSize > 8) {
      throw new Error('EnergyGate: the window must be 1 to 8 whole sub-blocks');
    }
    this.subBlocks = windowSize / subBlockSize;
    this.subDb = new Float32Array(this.subBlocks);
    this.subPower = new Float64Array(this.subBlocks);
    const floor = (marginDb: number) => ({
      fallMs: options.floorFallMs,
      riseMs: options.floorRiseMs,
      loudRiseDbPerSec: options.floorLoudRiseDbPerSec,
      spreadMs: options.floorSpreadMs,
      marginDb,
      spreadFactor: options.spreadFactor,
      minLevelDb: options.minLevelDb,
    });
    this.windowFloor = new AdaptiveFloor(floor(options.gateMarginDb), (windowSize * 1000) / sampleRate);
    this.subFloor = new AdaptiveFloor(floor(options.loudMarginDb), (subBlockSize * 1000) / sampleRate);
    const w0 = (2 * Math.PI * options.highPassHz) / sampleRate;
    const alpha = Math.sin(w0) / Math.SQRT2;
    const cos = Math.cos(w0);
    const a0 = 1 + alpha;
    this.b0 = (1 + cos) / 2 / a0;
    this.b1 = -(1 + cos) / a0;
    this.b2 = (1 + cos) / 2 / a0;
    this.a1 = (-2 * cos) / a0;
    this.a2 = (1 - alpha) / a0;
  }

  /**
   * Tells the gate that a window it let through (high-passed energy `windowDb`) held no speech: learnt as
   * background, so a louder steady noise shuts the gate in about a second instead of only by the slow rise.
   */
  learnNoise(windowDb: number): void {
    this.windowFloor.learn(windowDb);
  }

  /** Current window-level noise floor, dB (for diagnostics). */
  get floorDb(): number {
    return this.windowFloor.level;
  }

  /**
   * Analyses `windowSize` samples of `x` from `offset`; results in `windowDb`, `loudMask`, `open`.
   * `skipMask`: sub-blocks (bit i = sub-block i) that are not real audio (filler for lost frames): judged but not
   * learnt from; all bits set leaves the window floor alone too.
   */
  analyse(x: Float32Array, offset: number, skipMask = 0): void {
    const { b0, b1, b2, a1, a2 } = this;
    let { x1, x2, y1, y2 } = this;
    let total = 0;
    for (let s = 0; s < this.subBlocks; s++) {
      let sum = 0;
      const start = offset + s * this.subBlockSize;
      const end = start + this.subBlockSize;
      for (let i = start; i < end; i++) {
        const x0 = x[i]!;
        const y0 = b0 * x0 + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
        x2 = x1;
        x1 = x0;
        y2 = y1;
        y1 = y0;
        sum += y0 * y0;
      }
      total += sum;
      this.subPower[s] = sum / this.subBlockSize;
      this.subDb[s] = toDb(sum / this.subBlockSize);
    }
    // Flush denormals: a long run of digital silence decays the filter state towards subnormal floats.
    this.x1 = x1;
    this.x2 = x2;
    this.y1 = Math.abs(y1) < 1e-20 ? 0 : y1;
    this.y2 = Math.abs(y2) < 1e-20 ? 0 : y2;
    this.windowDb = toDb(total / this.windowSize);
    const all = (1 << this.subBlocks) - 1;
    this.open = this.windowFloor.observe(this.windowDb, false, (skipMask & all) !== all);
    // Sub-blocks of a window that did not open the gate are background, whatever their own loudness: learn them all.
    let mask = 0;
    for (let s = 0; s < this.subBlocks; s++) {
      const power = this.subPower[s]!;
      const trailing = (power + this.prev1 + this.prev2) / 3;
      this.prev2 = this.prev1;
      this.prev1 = power;
      if (this.subFloor.observe(toDb(trailing), !this.open, (skipMask & (1 << s)) === 0)) mask |= 1 << s;
    }
    this.loudMask = mask;
  }
}

function toDb(meanSquare: number): number {
  return meanSquare > 1e-10 ? 10 * Math.log10(meanSquare) : MIN_DB;
}
