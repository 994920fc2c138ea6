/** A closed stretch of speech on one track, stream time in ms. */
export interface Segment {
  readonly start: number;
  readonly end: number;
}

/**
 * One track's speech turns, in order. Bounded: past `maxSegments` further turns are not kept (and `truncated` says
 * so), so a hostile or endless stream cannot grow memory.
 */
export class SpeechTimeline {
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;
  private count = 0;
  private openStart: number | undefined;
  truncated = false;

  constructor(private readonly maxSegments = 5000) {
    this.starts = new Float64Array(maxSegments);
    this.ends = new Float64Array(maxSegments);
  }

  get isSpeaking(): boolean {
    return this.openStart !== undefined;
  }

  /** Start of the turn in progress, if any. */
  get currentStart(): number | undefined {
    return this.openStart;
  }

  /** End of the last finished turn, if any. */
  get lastEnd(): number | undefined {
    return this.count ? this.ends[this.count - 1] : undefined;
  }

  get hasSpoken(): boolean {
    return this.count > 0 || this.openStart !== undefined;
  }

  start(at: number): void {
    if (this.openStart !== undefined) return;
    // A detector dates turns back; never let one begin before the previous ended.
    const floor = this.lastEnd ?? 0;
    this.openStart = Math.max(at, floor);
  }

  stop(at: number): void {
    if (this.openStart === undefined) return;
    const start = this.openStart;
    this.openStart = undefined;
    if (this.count >= this.maxSegments) {
      this.truncated = true;
      return;
    }
    this.starts[this.count] = start;
    this.ends[this.count] = Math.max(at, start);
    this.count += 1;
  }

  /** Every turn up to `until`, the one in progress closed at `until`. `open` tells whether the last one is. */
  segments(until: number): { segments: Segment[]; open: boolean } {
    const segments: Segment[] = [];
    for (let i = 0; i < this.count; i++) segments.push({ start: this.starts[i]!, end: this.ends[i]! });
    const open = this.openStart !== undefined && this.openStart < until;
    if (open) segments.push({ start: this.openStart!, end: until });
    return { segments, open };
  }
}
