import { DEFAULT_ENERGY_GATE_OPTIONS, EnergyGate } from './energy-gate.js';
import { MULAW_TO_FLOAT } from './mulaw.js';
import { labelledClip } from '../../../test/support/audio/labelled-clip.js';

const RATE = 8000;

function noise(n: number, amplitude: number, seed = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 16807) % 2147483647;
    return (s / 2147483647 - 0.5) * 2 * amplitude;
  });
}

function gate(): EnergyGate {
  return new EnergyGate(DEFAULT_ENERGY_GATE_OPTIONS, 256, 64, RATE);
}

/** Runs every window; returns per-window [open, loudMask]. */
function run(g: EnergyGate, x: Float32Array): { open: boolean[]; masks: number[] } {
  const open: boolean[] = [];
  const masks: number[] = [];
  for (let o = 0; o + 256 <= x.length; o += 256) {
    g.analyse(x, o);
    open.push(g.open);
    masks.push(g.loudMask);
  }
  return { open, masks };
}

describe(EnergyGate.name, () => {
  it('takes loud noise from the very first window as the floor: never opens on it', () => {
    const { open, masks } = run(gate(), noise(RATE * 4, 0.3));
    expect(open.filter(Boolean)).toHaveLength(0);
    // Sub-blocks only date turns: a stray loud one in 125 windows of noise is harmless, a pattern would not be.
    expect(masks.filter((m) => m !== 0).length).toBeLessThanOrEqual(3);
  });

  it('opens on a burst 12 dB over the noise, at the burst, and marks its first loud sub-block', () => {
    const x = noise(RATE * 2, 0.05);
    const burst = noise(2048, 0.2, 99);
    const at = 256 * 40 + 128; // half-way into window 40
    for (let i = 0; i < burst.length; i++) x[at + i]! += burst[i]!;
    const { open, masks } = run(gate(), x);
    expect(open.indexOf(true)).toBe(40);
    expect(masks[39]).toBe(0);
    // Sub-blocks 2 and 3 of window 40 hold the burst.
    expect(masks[40]! & 0b0011).toBe(0);
    expect(masks[40]! & 0b1100).not.toBe(0);
  });

  it('learns a louder background by itself (slowly: speech must not lift the floor) or at once when told', () => {
    const x = new Float32Array(RATE * 16);
    x.set(noise(RATE * 2, 0.01), 0);
    x.set(noise(RATE * 14, 0.1, 5), RATE * 2); // +20 dB from 2 s
    const { open } = run(gate(), x);
    expect(open.slice(62, 70).every(Boolean)).toBe(true); // the step opens it...
    expect(open.slice(-62).some(Boolean)).toBe(false); // ...and the floor has caught up 14 s later
    const g = gate();
    const told: boolean[] = [];
    for (let o = 0; o + 256 <= x.length; o += 256) {
      g.analyse(x, o);
      told.push(g.open);
      if (g.open) g.learnNoise(g.windowDb); // what the processor does when the model hears no speech
    }
    expect(told.slice(62 + 47).some(Boolean)).toBe(false); // shut within 1.5 s of the step
  });

  it('ignores mains hum through the high-pass and the 24 ms smoothing', () => {
    const x = Float32Array.from({ length: RATE * 3 }, (_, i) => {
      let v = 0;
      for (let h = 1; h <= 8; h++) v += (0.2 / h) * Math.sin((2 * Math.PI * 50 * h * i) / RATE);
      return v;
    });
    const { open, masks } = run(gate(), x);
    expect(open.filter(Boolean)).toHaveLength(0);
    expect(masks.slice(16).filter((m) => m !== 0)).toHaveLength(0); // after 0.5 s of learning
  });

  it('calls nothing loud below the absolute minimum level (line hiss at -70 dBFS)', () => {
    const { open, masks } = run(gate(), noise(RATE, 0.0005));
    const quietThenHiss = new Float32Array(RATE * 2);
    quietThenHiss.set(noise(RATE, 0.0005), RATE);
    expect(open.some(Boolean) || masks.some((m) => m !== 0)).toBe(false);
    expect(run(gate(), quietThenHiss).open.some(Boolean)).toBe(false);
  });

  it('stays shut on the noise-only clips and opens on the sentence of every given speech clip', () => {
    for (const name of ['only_white', 'only_pink', 'only_silence']) {
      const clip = labelledClip(name);
      const { open } = run(
        gate(),
        Float32Array.from(clip.samples, (b) => MULAW_TO_FLOAT[b]!),
      );
      expect({ name, opened: open.filter(Boolean).length }).toEqual({ name, opened: 0 });
    }
    for (const name of ['s1_clean', 's1_white_snr10', 's2_pink_snr10']) {
      const clip = labelledClip(name);
      const { open } = run(
        gate(),
        Float32Array.from(clip.samples, (b) => MULAW_TO_FLOAT[b]!),
      );
      const first = open.indexOf(true) * 32;
      expect({ name, first: Math.abs(first - clip.onsetMs) <= 96 }).toEqual({ name, first: true });
    }
  });
});
