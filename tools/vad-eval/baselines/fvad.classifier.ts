import createFvad, { type FvadModule } from '@echogarden/fvad-wasm';
import type { FrameClassifier } from './frame-classifier.js';

/** Baseline: WebRTC VAD (libfvad compiled to WASM, `@echogarden/fvad-wasm`) on 20 ms frames at 8 kHz. */
export class FvadFrameClassifier implements FrameClassifier {
  readonly unitSamples = 160;
  readonly name: string;

  private constructor(
    private readonly wasm: FvadModule,
    private readonly handle: number,
    private readonly buffer: number,
    readonly mode: number,
  ) {
    this.name = `webrtc vad mode ${mode}`;
  }

  /** @param mode 0 (least aggressive) … 3 (most aggressive about calling audio non-speech). */
  static async create(mode: 0 | 1 | 2 | 3): Promise<FvadFrameClassifier> {
    const wasm = await createFvad();
    const handle = wasm._fvad_new();
    if (!handle || wasm._fvad_set_mode(handle, mode) !== 0 || wasm._fvad_set_sample_rate(handle, 8000) !== 0) {
      throw new Error('fvad: cannot configure');
    }
    return new FvadFrameClassifier(wasm, handle, wasm._malloc(160 * 2), mode);
  }

  classify(samples: Float32Array): Promise<Float32Array> {
    const w = this.wasm;
    w._fvad_reset(this.handle);
    w._fvad_set_mode(this.handle, this.mode);
    w._fvad_set_sample_rate(this.handle, 8000);
    const n = Math.floor(samples.length / this.unitSamples);
    const out = new Float32Array(n);
    for (let u = 0; u < n; u++) {
      // HEAP16 may be replaced when the WASM memory grows: read it per frame.
      const heap = w.HEAP16;
      const base = this.buffer >> 1;
      for (let i = 0; i < 160; i++) {
        const v = Math.round(samples[u * 160 + i]! * 32768);
        heap[base + i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      out[u] = w._fvad_process(this.handle, this.buffer, 160) === 1 ? 1 : 0;
    }
    return Promise.resolve(out);
  }

  dispose(): void {
    this.wasm._free(this.buffer);
    this.wasm._fvad_free(this.handle);
  }
}
