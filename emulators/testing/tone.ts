import { mulawToLinear } from '../mulaw-audio.js';

/** Nearest mu-law code for a 16-bit sample (a table search: slow, fine for test signals). */
export function linearToMulaw(sample: number): number {
  let best = 0xff;
  let bestErr = Infinity;
  for (let b = 0; b < 256; b++) {
    const err = Math.abs(mulawToLinear(b) - sample);
    if (err < bestErr) {
      bestErr = err;
      best = b;
    }
  }
  return best;
}
