/**
 * How sure a median of a few noisy runs is. On a small shared VM the relay's paired p99 ratio moves a lot from one
 * round to the next, so a median of a handful of rounds can land on either side of a target by chance; the verdict
 * says so instead of picking a side.
 */

/** A confidence interval for a median: the `lowRank`-th and `highRank`-th smallest samples (1-based). */
export interface MedianInterval {
  readonly low: number;
  readonly high: number;
  readonly lowRank: number;
  readonly highRank: number;
  /** The exact probability that the interval holds the true median (at least the confidence asked for). */
  readonly coverage: number;
}

/**
 * The distribution-free confidence interval for the median of independent samples: `[x(k), x(n−k+1)]` of the
 * sorted samples, with the largest `k` whose coverage, `1 − 2·P(Binomial(n, ½) ≤ k − 1)`, is at least `confidence`.
 * It assumes nothing about the shape of the distribution (p99 ratios are skewed, with rare large outliers).
 * Undefined when there are too few samples for any interval to reach `confidence` (fewer than 6 at 95 %).
 */
export function medianInterval(samples: readonly number[], confidence = 0.95): MedianInterval | undefined {
  if (!(confidence > 0 && confidence < 1))
    throw new RangeError(`medianInterval: confidence must be in (0, 1), got ${confidence}`);
  const sorted = samples.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  const n = sorted.length;
  let best: MedianInterval | undefined;
  // P(X ≤ j) for X ~ Binomial(n, ½), summed term by term in log space (2^−n underflows past n ≈ 1000).
  let logTerm = -n * Math.LN2; // log P(X = 0)
  let below = 0; // P(X ≤ k − 1)
  for (let k = 1; 2 * k <= n + 1; k++) {
    below += Math.exp(logTerm);
    const coverage = 1 - 2 * below;
    if (coverage < confidence) break;
    best = { low: sorted[k - 1]!, high: sorted[n - k]!, lowRank: k, highRank: n - k + 1, coverage };
    logTerm += Math.log(n - (k - 1)) - Math.log(k); // P(X = k) from P(X = k − 1)
  }
  return best;
}

/** Where an upper-bound target stands against a median's interval. */
export type TargetVerdict = 'met' | 'not met' | 'undecided';

/**
 * `met` when the whole interval is at or under `target`, `not met` when all of it is above, `undecided` when the
 * target lies inside it: more rounds would be needed to tell.
 */
export function judgeUpperTarget(interval: MedianInterval, target: number): TargetVerdict {
  if (interval.high <= target) return 'met';
  if (interval.low > target) return 'not met';
  return 'undecided';
}
