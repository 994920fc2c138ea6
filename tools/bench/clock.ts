/**
 * A millisecond clock shared by every process on the machine: `performance.now()` (cheap) shifted onto
 * CLOCK_MONOTONIC (`process.hrtime`), which is one system-wide clock on Linux. A send time taken in the load generator
 * and a receive time taken in the app under test can be subtracted directly.
 */
function hrtimeMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}

function measureOffset(): number {
  // Both clocks read uv_hrtime; take the tightest of a few readings.
  let best = Number.POSITIVE_INFINITY;
  let offset = 0;
  for (let i = 0; i < 20; i++) {
    const a = performance.now();
    const h = hrtimeMs();
    const b = performance.now();
    if (b - a < best) {
      best = b - a;
      offset = h - (a + b) / 2;
    }
  }
  return offset;
}

const OFFSET = measureOffset();

/** Milliseconds on the machine-wide monotonic clock (sub-microsecond resolution). */
export function monoMs(): number {
  return performance.now() + OFFSET;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
