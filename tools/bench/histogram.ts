/**
 * A log-linear latency histogram over microseconds (HDR-style): exact below 2048 µs, then 1024 sub-buckets per
 * power of two (0.1 % precision) up to ~35 minutes. Fixed memory (94 KB), O(1) record, mergeable, and sent between
 * processes as a plain counts array.
 */
const LINEAR = 2048;
const SUB = 1024;
const MAGNITUDES = 21;
export const HISTOGRAM_BUCKETS = LINEAR + MAGNITUDES * SUB;

function indexOf(us: number): number {
  let v = Math.round(us);
  if (!(v > 0)) v = 0;
  if (v < LINEAR) return v;
  if (v > 0x7fffffff) v = 0x7fffffff;
  const e = 31 - Math.clz32(v) - 10;
  const i = LINEAR + (e - 1) * SUB + ((v >>> e) - SUB);
  return i < HISTOGRAM_BUCKETS ? i : HISTOGRAM_BUCKETS - 1;
}

/** Upper edge of bucket `i`, µs. */
function valueOf(i: number): number {
  if (i < LINEAR) return i;
  const j = i - LINEAR;
  const e = Math.floor(j / SUB) + 1;
  return ((j % SUB) + SUB + 1) * 2 ** e - 1;
}

export interface HistogramSummary {
  readonly count: number;
  /** Milliseconds. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

export class Histogram {
  readonly counts: Uint32Array;
  count = 0;
  sumUs = 0;
  maxUs = 0;

  constructor(counts?: Uint32Array) {
    this.counts = counts ?? new Uint32Array(HISTOGRAM_BUCKETS);
    if (counts) for (let i = 0; i < counts.length; i++) this.count += counts[i]!;
  }

  /** Records a value given in milliseconds. */
  recordMs(ms: number): void {
    const us = ms * 1000;
    this.counts[indexOf(us)]! += 1;
    this.count += 1;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sumUs = 0;
    this.maxUs = 0;
  }

  merge(other: Histogram): void {
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sumUs += other.sumUs;
    if (other.maxUs > this.maxUs) this.maxUs = other.maxUs;
  }

  /** Value (ms) at percentile `p` (0–100). */
  percentileMs(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(valueOf(i), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  summary(): HistogramSummary {
    return {
      count: this.count,
      p50: this.percentileMs(50),
      p90: this.percentileMs(90),
      p99: this.percentileMs(99),
      p999: this.percentileMs(99.9),
      max: this.maxUs / 1000,
      mean: this.count ? this.sumUs / this.count / 1000 : Number.NaN,
    };
  }

  /** For IPC. */
  toJSON(): SerializedHistogram {
    return { counts: this.counts, sumUs: this.sumUs, maxUs: this.maxUs };
  }

  static from(s: SerializedHistogram): Histogram {
    const h = new Histogram(new Uint32Array(s.counts));
    h.sumUs = s.sumUs;
    h.maxUs = s.maxUs;
    return h;
  }
}

export interface SerializedHistogram {
  readonly counts: Uint32Array;
  readonly sumUs: number;
  readonly maxUs: number;
}
