import type { FrameClassifier } from './frame-classifier.js';

/**
 * Baseline: speech wherever a 20 ms frame's RMS exceeds a fixed level. What a naive gateway would do; it cannot
 * tell a voice from noise or a tone of the same loudness.
 */
export class RmsFrameClassifier implements FrameClassifier {
  readonly unitSamples = 160;
  readonly name: string;
  private readonly threshold: number;

  /** @param thresholdDb RMS level (dBFS, mean square of [-1, 1) samples) above which a frame is speech. */
  constructor(readonly thresholdDb = -45) {
    this.name = `rms ${thresholdDb} dBFS`;
    this.threshold = 10 ** (thresholdDb / 10);
  }

  classify(samples: Float32Array): Promise<Float32Array> {
    const n = Math.floor(samples.length / this.unitSamples);
    const out = new Float32Array(n);
    for (let u = 0; u < n; u++) {
      let sum = 0;
      for (let i = u * this.unitSamples; i < (u + 1) * this.unitSamples; i++) sum += samples[i]! * samples[i]!;
      out[u] = sum / this.unitSamples > this.threshold ? 1 : 0;
    }
    return Promise.resolve(out);
  }
}
