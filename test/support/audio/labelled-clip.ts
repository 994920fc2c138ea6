import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assetsAudioDir, readMulawWav } from '../../../emulators/wav.js';

/** A clip of assets/audio (or a sub-folder) with its labels. Times in ms. */
export interface LabelledClip {
  readonly name: string;
  readonly samples: Uint8Array;
  readonly speechFrames: readonly number[];
  /** First labelled speech frame × 20 ms (NaN if none). */
  readonly onsetMs: number;
  /** End of the last labelled speech frame (NaN if none). */
  readonly endMs: number;
  readonly durationMs: number;
}

const cache = new Map<string, { clips: Record<string, { speech_frames: number[] }> }>();

/** Loads `name.wav` and its labels from assets/audio/`folder`. */
export function labelledClip(name: string, folder = ''): LabelledClip {
  const dir = join(assetsAudioDir(), folder);
  let labels = cache.get(dir);
  if (!labels) {
    labels = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as {
      clips: Record<string, { speech_frames: number[] }>;
    };
    cache.set(dir, labels);
  }
  const entry = labels.clips[name];
  if (!entry) throw new Error(`no labels for ${name} in ${dir}`);
  const { samples, durationMs } = readMulawWav(join(dir, `${name}.wav`));
  const f = entry.speech_frames;
  const first = f.indexOf(1);
  const last = f.lastIndexOf(1);
  return {
    name,
    samples,
    speechFrames: f,
    onsetMs: first < 0 ? Number.NaN : first * 20,
    endMs: last < 0 ? Number.NaN : (last + 1) * 20,
    durationMs,
  };
}
