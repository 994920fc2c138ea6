import { judgeUpperTarget, medianInterval } from './median-interval.js';

describe(medianInterval.name, () => {
  it('has no 95 % interval for five samples: even the full range covers the median only 93.75 % of the time', () => {
    expect(medianInterval([1, 2, 3, 4, 5])).toBeUndefined();
    expect(medianInterval([1, 2, 3, 4, 5], 0.9)).toMatchObject({ low: 1, high: 5, coverage: 1 - 2 / 32 });
  });

  it('takes the full range of six samples (coverage 1 − 2/64), in any input order', () => {
    expect(medianInterval([6, 1, 5, 2, 4, 3])).toEqual({
      low: 1,
      high: 6,
      lowRank: 1,
      highRank: 6,
      coverage: 1 - 2 / 64,
    });
  });

  it('narrows to the ranks the binomial allows: 2nd and 9th of 10, 4th and 13th of 16', () => {
    const ten = medianInterval([10, 9, 8, 7, 6, 5, 4, 3, 2, 1])!;
    expect([ten.lowRank, ten.highRank, ten.low, ten.high]).toEqual([2, 9, 2, 9]);
    expect(ten.coverage).toBeCloseTo(1 - 2 * (11 / 1024), 12);
    const sixteen = medianInterval(Array.from({ length: 16 }, (_, i) => i + 1))!;
    expect([sixteen.lowRank, sixteen.highRank]).toEqual([4, 13]);
    expect(sixteen.coverage).toBeCloseTo(1 - 2 * (697 / 65536), 12);
  });

  it('stays finite for thousands of samples, where 2^−n underflows', () => {
    const xs = Array.from({ length: 2000 }, (_, i) => i);
    const ci = medianInterval(xs)!;
    // Normal approximation: n/2 ± 1.96·√n/2 ≈ 1000 ± 43.8.
    expect(ci.lowRank).toBeGreaterThan(950);
    expect(ci.lowRank).toBeLessThan(960);
    expect(ci.highRank).toBe(2001 - ci.lowRank);
    expect(ci.coverage).toBeGreaterThanOrEqual(0.95);
  });

  it('ignores NaN samples and refuses a confidence outside (0, 1)', () => {
    expect(medianInterval([Number.NaN, 1, 2, 3, 4, 5, 6])).toMatchObject({ low: 1, high: 6 });
    expect(() => medianInterval([1], 1)).toThrow(RangeError);
  });
});

describe(judgeUpperTarget.name, () => {
  const interval = (low: number, high: number) => ({ low, high, lowRank: 1, highRank: 6, coverage: 0.97 });

  it('is met only when the whole interval is at or under the target, not met only when all of it is above', () => {
    expect(judgeUpperTarget(interval(1.2, 1.5), 1.5)).toBe('met');
    expect(judgeUpperTarget(interval(1.51, 2), 1.5)).toBe('not met');
    expect(judgeUpperTarget(interval(1.4, 1.7), 1.5)).toBe('undecided');
  });
});
