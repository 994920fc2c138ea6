import { DEFAULT_DTMF_OPTIONS, DtmfDetector, NO_KEY } from './dtmf-detector.js';
import { MULAW_TO_FLOAT } from './mulaw.js';
import { labelledClip } from '../../../test/support/audio/labelled-clip.js';

const RATE = 8000;
const BLOCK = DEFAULT_DTMF_OPTIONS.blockSize;
const ROWS = [697, 770, 852, 941];
const COLS = [1209, 1336, 1477, 1633];
const KEYS = '123A456B789C*0#D';

/** Two tones (each at `rowDb` / `colDb` dB re a full-scale square wave, i.e. amplitude sqrt(2)·10^(dB/20)). */
function tone(row: number, col: number, ms: number, rowDb = -10, colDb = rowDb): Float32Array {
  const n = (ms * RATE) / 1000;
  const ar = Math.SQRT2 * 10 ** (rowDb / 20);
  const ac = Math.SQRT2 * 10 ** (colDb / 20);
  return Float32Array.from(
    { length: n },
    (_, i) => ar * Math.sin((2 * Math.PI * row * i) / RATE) + ac * Math.sin((2 * Math.PI * col * i) / RATE + 1),
  );
}

function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const silence = (ms: number) => new Float32Array((ms * RATE) / 1000);

/** Runs whole blocks through a detector; returns the presses and the per-block keys. */
function detect(x: Float32Array, detector = new DtmfDetector(DEFAULT_DTMF_OPTIONS, RATE)) {
  const presses: { digit: string; at: number }[] = [];
  const blocks: number[] = [];
  for (let o = 0; o + BLOCK <= x.length; o += BLOCK) {
    blocks.push(detector.process(x, o, (o * 1000) / RATE));
    if (detector.event) presses.push({ digit: detector.event, at: detector.eventAt });
  }
  return { presses, blocks };
}

describe(DtmfDetector.name, () => {
  it('hears every key of the keypad once per 100 ms press', () => {
    for (let k = 0; k < 16; k++) {
      const x = concat(silence(40), tone(ROWS[k >> 2]!, COLS[k & 3]!, 100), silence(60));
      expect(detect(x).presses.map((p) => p.digit)).toEqual([KEYS[k]]);
    }
  });

  it('dates a press to the first block of its tone and needs two blocks (a 20 ms blip is not a press)', () => {
    const { presses } = detect(concat(silence(32), tone(941, 1336, 64), silence(32)));
    expect(presses).toEqual([{ digit: '0', at: 32 }]);
    expect(detect(concat(silence(32), tone(941, 1336, 20), silence(32))).presses).toEqual([]);
  });

  it('reports a held key once, and two presses separated by a gap twice', () => {
    expect(detect(tone(697, 1209, 500)).presses).toHaveLength(1);
    const twice = concat(tone(697, 1209, 80), silence(48), tone(697, 1209, 80));
    expect(detect(twice).presses.map((p) => p.digit)).toEqual(['1', '1']);
  });

  it('rejects twist beyond the limits, single tones, quiet tones and off-grid frequencies', () => {
    expect(detect(tone(941, 1336, 100, -10, -20)).presses).toEqual([]); // row 10 dB over column (reverse twist)
    expect(detect(tone(941, 1336, 100, -20, -10)).presses).toEqual([]); // column 10 dB over row (normal twist)
    expect(detect(tone(941, 1336, 100, -10, -16)).presses).toHaveLength(1); // 6 dB: within the normal limits
    expect(detect(tone(941, 1, 100, -10, -200)).presses).toEqual([]); // one tone only
    expect(detect(tone(941, 1336, 100, -45)).presses).toEqual([]); // below the minimum level
    expect(detect(tone(1050, 1400, 100)).presses).toEqual([]); // between the rows and between the columns
  });

  it('rejects a key tone that carries too little of the energy (speech-like sound around it)', () => {
    // Strong components away from every keypad frequency: the row/column/twist checks alone would pass.
    const x = tone(941, 1336, 100, -20);
    const other = tone(400, 2300, 100, -12);
    const mixed = x.map((v, i) => v + other[i]!);
    expect(detect(x).presses).toHaveLength(1);
    expect(detect(mixed).presses).toEqual([]);
    expect(detect(mixed, new DtmfDetector({ ...DEFAULT_DTMF_OPTIONS, minToneShare: 0 }, RATE)).presses).toHaveLength(1);
  });

  it('hears the real dtmf_0 clip as one "0", at the tone', () => {
    const clip = labelledClip('dtmf_0');
    const { presses } = detect(Float32Array.from(clip.samples, (b) => MULAW_TO_FLOAT[b]!));
    expect(presses.map((p) => p.digit)).toEqual(['0']);
    expect(presses[0]!.at).toBeGreaterThanOrEqual(464);
    expect(presses[0]!.at).toBeLessThanOrEqual(528);
  });

  it('finds no key in any block of the speech and noise clips', () => {
    for (const name of ['s1_clean', 's2_clean', 's1_pink_snr10', 's2_white_snr10', 'only_white', 'only_pink']) {
      const clip = labelledClip(name);
      const { blocks } = detect(Float32Array.from(clip.samples, (b) => MULAW_TO_FLOAT[b]!));
      expect({ name, keys: blocks.filter((k) => k !== NO_KEY).length }).toEqual({ name, keys: 0 });
    }
  });
});
