/** Tuning of an {@link AdaptiveFloor}. */
export interface AdaptiveFloorParams {
  /** Time constant of the fall when the energy is below the floor: fast, so a noisy start needs no quiet lead-in. */
  readonly fallMs: number;
  /** Time constant of the rise towards energies above the floor that are not loud (the noise itself). */
  readonly riseMs: number;
  /** Rise while loud, dB per second: slow, so speech does not lift the floor but a louder background is learnt. */
  readonly loudRiseDbPerSec: number;
  /** Time constant of the spread (mean absolute deviation from the floor) of non-loud energies. */
  readonly spreadMs: number;
  /** An observation is loud above `floor + max(marginDb, spreadFactor × spread)`... */
  readonly marginDb: number;
  readonly spreadFactor: number;
  /** ...and above this absolute level (dBFS), so near-digital-silence never counts. */
  readonly minLevelDb: number;
}

/**
 * Background-noise level in dB learnt from the signal itself: seeded by the first observation, falls fast,
 * rises slowly (and slower still while the signal is loud), with a running spread so the loudness margin widens
 * on fluctuating noise (pink, clicks) and stays tight on steady noise. O(1) state, nothing allocated.
 */
export class AdaptiveFloor {
  /** Current floor, dB (NaN before the first observation). */
  level = Number.NaN;
  /** Mean absolute deviation of non-loud observations from the floor, dB. */
  spread: number;
  private readonly fall: number;
  private readonly rise: number;
  private readonly spreadRate: number;
  private readonly loudRise: number;

  /** @param stepMs duration of one observation (the smoothing constants are per step). */
  constructor(
    private readonly params: AdaptiveFloorParams,
    stepMs: number,
  ) {
    this.fall = 1 - Math.exp(-stepMs / params.fallMs);
    this.rise = 1 - Math.exp(-stepMs / params.riseMs);
    this.spreadRate = 1 - Math.exp(-stepMs / params.spreadMs);
    this.loudRise = (params.loudRiseDbPerSec * stepMs) / 1000;
    this.spread = params.marginDb / Math.max(params.spreadFactor, 1);
  }

  /** Level an observation must exceed to be loud. */
  threshold(): number {
    const p = this.params;
    return Math.max(this.level + Math.max(p.marginDb, p.spreadFactor * this.spread), p.minLevelDb);
  }

  /** Learns `db` as background after the fact (e.g. the model heard no speech in a window the gate let through). */
  learn(db: number): void {
    if (Number.isNaN(this.level)) this.level = db;
    const d = db - this.level;
    this.level += d * (d < 0 ? this.fall : this.rise);
    this.spread += (Math.abs(d) - this.spread) * this.spreadRate;
  }

  /**
   * Judges `db` against the floor as it was, then learns from it. Returns whether it was loud.
   * `noise`: the caller knows this is background (loud or not), so it is learnt in full. Without it, loud
   * observations are assumed to be speech and only creep the floor up; but then a noise whose loud phases are
   * never learnt (hum seen through 8 ms blocks: a fixed pattern of loud and quiet blocks) would stay loud forever.
   * `learn: false` only judges (the observation is not the background: e.g. silence filling a gap in the audio).
   */
  observe(db: number, noise = false, learn = true): boolean {
    if (Number.isNaN(this.level)) this.level = db;
    const loud = db > this.threshold();
    if (!learn) return loud;
    const d = db - this.level;
    if (d < 0) this.level += d * this.fall;
    else if (!loud || noise) this.level += d * this.rise;
    else this.level += Math.min(d, this.loudRise);
    if (!loud || noise) this.spread += (Math.abs(d) - this.spread) * this.spreadRate;
    return loud;
  }
}
