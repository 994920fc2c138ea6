/**
 * Audio for scripted calls: clips placed on a track at start times, silence (`0xFF`) everywhere else, cut into the
 * 20 ms / 160-byte frames Twilio Media Streams carries. Also the few mu-law utilities the emulators need (energy for
 * turn detection, a frame stamp to correlate echoed audio in latency benchmarks).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { assetsAudioDir, readMulawWav, type MulawClip } from './wav.js';

/** mu-law code of zero amplitude. */
export const MULAW_SILENCE = 0xff;
/** One 20 ms frame at 8 kHz, one byte per sample. */
export const FRAME_BYTES = 160;
export const FRAME_MS = 20;
export const MULAW_BYTES_PER_MS = 8;

/**
 * A clip: a name in `assets/audio` (`"s1_clean"`, `"extra/only_hum50"`, with or without `.wav`), a path to a mu-law
 * WAV, raw mu-law bytes, or an already read {@link MulawClip}.
 */
export type ClipSource = string | Uint8Array | MulawClip;

/** A clip placed on a track. */
export interface ClipPlacement {
  readonly clip: ClipSource;
  /** Start, ms from the start of the stream that carries the track. */
  readonly atMs: number;
  /** What is said, for the transcript Retell reports; default `[<clip name>]`. */
  readonly text?: string;
}

const clipCache = new Map<string, Uint8Array>();

/** Resolves a clip name or path to a WAV file. */
export function clipPath(name: string): string {
  if (isAbsolute(name) || name.startsWith('./') || name.startsWith('../')) return name;
  const file = name.endsWith('.wav') ? name : `${name}.wav`;
  const inAssets = join(assetsAudioDir(), file);
  return existsSync(inAssets) ? inAssets : file;
}

/** Raw mu-law bytes of a clip (WAV files are read once and cached). */
export function loadClip(src: ClipSource): Uint8Array {
  if (src instanceof Uint8Array) return src;
  if (typeof src !== 'string') return src.samples;
  const path = clipPath(src);
  let bytes = clipCache.get(path);
  if (!bytes) {
    bytes = readMulawWav(path).samples;
    clipCache.set(path, bytes);
  }
  return bytes;
}

/** A short human name of a clip, for timelines and default transcript lines. */
export function clipName(src: ClipSource): string {
  if (typeof src === 'string') return src.replace(/^.*\//, '').replace(/\.wav$/, '');
  return `${loadClip(src).byteLength / MULAW_BYTES_PER_MS} ms of audio`;
}

/** Length of a clip in ms. */
export function clipDurationMs(src: ClipSource): number {
  return loadClip(src).byteLength / MULAW_BYTES_PER_MS;
}

/** One track of scripted audio. Later placements win where clips overlap. */
export class TrackAudio {
  private readonly segments: ReadonlyArray<{ readonly start: number; readonly bytes: Uint8Array }>;
  /** End of the last clip, ms. */
  readonly endMs: number;

  constructor(placements: readonly ClipPlacement[] = []) {
    this.segments = placements.map((p) => ({
      start: Math.round(p.atMs * MULAW_BYTES_PER_MS),
      bytes: loadClip(p.clip),
    }));
    this.endMs = this.segments.reduce((m, s) => Math.max(m, (s.start + s.bytes.byteLength) / MULAW_BYTES_PER_MS), 0);
  }

  /** `length` bytes from byte `offset` (8 per ms), silence where no clip plays. */
  slice(offset: number, length: number): Buffer {
    const out = Buffer.alloc(length, MULAW_SILENCE);
    for (const s of this.segments) {
      const from = Math.max(offset, s.start);
      const to = Math.min(offset + length, s.start + s.bytes.byteLength);
      if (from < to) out.set(s.bytes.subarray(from - s.start, to - s.start), from - offset);
    }
    return out;
  }

  /** Frame `index` (from 0) of `frameBytes` bytes. */
  frame(index: number, frameBytes = FRAME_BYTES): Buffer {
    return this.slice(index * frameBytes, frameBytes);
  }
}

/** G.711 mu-law decoding table (ITU-T G.711), to 16-bit linear. */
const MULAW_TO_LINEAR: Int16Array = (() => {
  const t = new Int16Array(256);
  for (let i = 0; i < 256; i++) {
    const u = ~i & 0xff;
    const sign = u & 0x80;
    const exponent = (u >> 4) & 0x07;
    const mantissa = u & 0x0f;
    const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    t[i] = sign ? -magnitude : magnitude;
  }
  return t;
})();

/** One mu-law byte as a 16-bit linear sample. */
export function mulawToLinear(byte: number): number {
  return MULAW_TO_LINEAR[byte & 0xff]!;
}

/** RMS of a mu-law frame on the 16-bit scale (0 … 32767). */
export function frameRms(bytes: Uint8Array): number {
  if (bytes.byteLength === 0) return 0;
  let sum = 0;
  for (const b of bytes) {
    const s = MULAW_TO_LINEAR[b]!;
    sum += s * s;
  }
  return Math.sqrt(sum / bytes.byteLength);
}

/** RMS in dBFS (full scale 32768); silence is −Infinity. */
export function frameDbfs(bytes: Uint8Array): number {
  const rms = frameRms(bytes);
  return rms === 0 ? -Infinity : 20 * Math.log10(rms / 32768);
}

const STAMP_MAGIC_0 = 0x5a;
const STAMP_MAGIC_1 = 0xa5;
/** Bytes a stamp takes at the head of a frame (< 1 ms of audio). */
export const STAMP_BYTES = 5;

/**
 * Writes `n` (0 … 2^24−1) into the first bytes of a frame, so a frame that comes back (an echo agent, a relay) can be
 * matched with the one sent even when the audio repeats (silence). Costs a 0.6 ms click per frame.
 */
export function stampFrame(frame: Uint8Array, n: number): Uint8Array {
  frame[0] = STAMP_MAGIC_0;
  frame[1] = STAMP_MAGIC_1;
  frame[2] = (n >> 16) & 0xff;
  frame[3] = (n >> 8) & 0xff;
  frame[4] = n & 0xff;
  return frame;
}

/** The stamp {@link stampFrame} wrote, or undefined. */
export function readStamp(frame: Uint8Array): number | undefined {
  if (frame.byteLength < STAMP_BYTES || frame[0] !== STAMP_MAGIC_0 || frame[1] !== STAMP_MAGIC_1) return undefined;
  return (frame[2]! << 16) | (frame[3]! << 8) | frame[4]!;
}

/** Reads the stamp of a base64 payload without decoding all of it. */
export function readPayloadStamp(payload: string): number | undefined {
  return readStamp(Buffer.from(payload.slice(0, 8), 'base64'));
}
