import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

/** WAVE format tag of ITU-T G.711 mu-law. */
const WAVE_FORMAT_MULAW = 7;

/** A mono 8 kHz mu-law clip as Twilio Media Streams carries it. */
export interface MulawClip {
  /** Raw mu-law bytes, one per sample. */
  readonly samples: Uint8Array;
  readonly sampleRate: number;
  /** Length in milliseconds. */
  readonly durationMs: number;
}

/**
 * Reads an 8-bit mu-law WAV (format tag 7), walking the RIFF chunks rather than assuming a 44-byte header:
 * sox writes a `fact` chunk before `data`.
 */
export function parseMulawWav(buf: Uint8Array, name = 'wav'): MulawClip {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const tag = (o: number) => String.fromCharCode(buf[o]!, buf[o + 1]!, buf[o + 2]!, buf[o + 3]!);
  if (buf.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error(`${name}: not a RIFF/WAVE file`);
  let offset = 12;
  let format: number | undefined;
  let sampleRate = 0;
  let channels = 0;
  while (offset + 8 <= buf.byteLength) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      format = view.getUint16(body, true);
      channels = view.getUint16(body + 2, true);
      sampleRate = view.getUint32(body + 4, true);
    } else if (id === 'data') {
      if (format !== WAVE_FORMAT_MULAW || channels !== 1) {
        throw new Error(`${name}: expected mono mu-law (format 7), got format ${format} with ${channels} channels`);
      }
      const samples = buf.subarray(body, Math.min(body + size, buf.byteLength));
      return { samples, sampleRate, durationMs: (samples.byteLength * 1000) / sampleRate };
    }
    offset = body + size + (size & 1);
  }
  throw new Error(`${name}: no data chunk`);
}

/** Reads a mu-law WAV file from disk. */
export function readMulawWav(path: string): MulawClip {
  return parseMulawWav(readFileSync(path), path);
}

/**
 * The repository's `assets/audio` folder, found by walking up from this file, so it resolves the same from `src/`
 * (tests) and `dist/` (demo, bench).
 */
export function assetsAudioDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'assets', 'audio');
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('assets/audio not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}
