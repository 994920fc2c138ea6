import {
  SILERO_CONTEXT,
  SILERO_INPUT,
  SILERO_STATE,
  SILERO_WINDOW,
  SileroModel,
} from '../../../src/media/audio/silero-model.js';
import type { FrameClassifier } from './frame-classifier.js';

/**
 * Baseline: Silero v5 alone, on every 32 ms window in sequence (batch 1), no gate, no dating: what "just run the
 * model" costs and how late it dates onsets.
 */
export class SileroWindowClassifier implements FrameClassifier {
  readonly name = 'silero v5 alone';
  readonly unitSamples = SILERO_WINDOW;
  private readonly input = new Float32Array(SILERO_INPUT);
  private readonly state = new Float32Array(SILERO_STATE);

  private constructor(private readonly model: SileroModel) {}

  static async create(path?: string): Promise<SileroWindowClassifier> {
    return new SileroWindowClassifier(await SileroModel.load(path));
  }

  async classify(samples: Float32Array): Promise<Float32Array> {
    const n = Math.floor(samples.length / SILERO_WINDOW);
    const out = new Float32Array(n);
    this.state.fill(0);
    this.input.fill(0);
    for (let u = 0; u < n; u++) {
      this.input.copyWithin(0, SILERO_WINDOW, SILERO_INPUT);
      this.input.set(samples.subarray(u * SILERO_WINDOW, (u + 1) * SILERO_WINDOW), SILERO_CONTEXT);
      const r = await this.model.run(this.input, this.state, 1);
      this.state.set(r.state);
      out[u] = r.probs[0]!;
    }
    return out;
  }

  dispose(): Promise<void> {
    return this.model.release();
  }
}
