import { createRequire } from 'node:module';
import { decodeMulawInto, MULAW_SILENCE, MULAW_TO_FLOAT } from './mulaw.js';

const { mulaw } = createRequire(import.meta.url)('alawmulaw') as { mulaw: { decodeSample(b: number): number } };

describe('mulaw', () => {
  it('decodes every byte as the alawmulaw codec does (scaled to [-1, 1))', () => {
    for (let b = 0; b < 256; b++) expect(MULAW_TO_FLOAT[b]).toBeCloseTo(mulaw.decodeSample(b) / 32768, 7);
  });

  it('decodes digital silence to zero and the extremes to ±32124/32768', () => {
    expect(MULAW_TO_FLOAT[MULAW_SILENCE]).toBe(0);
    expect(MULAW_TO_FLOAT[0x00]).toBeCloseTo(-32124 / 32768, 7);
    expect(MULAW_TO_FLOAT[0x80]).toBeCloseTo(32124 / 32768, 7);
  });

  it('decodes a slice straight into a preallocated buffer at an offset', () => {
    const dst = new Float32Array(6).fill(9);
    decodeMulawInto(Uint8Array.of(1, 0xff, 0x80, 0x00), 1, 3, dst, 2);
    expect(Array.from(dst)).toEqual([9, 9, 0, MULAW_TO_FLOAT[0x80], MULAW_TO_FLOAT[0x00], 9]);
  });
});
