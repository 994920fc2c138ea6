import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assetsAudioDir } from '../../emulators/wav.js';

interface Labels {
  readonly frame_ms: number;
  readonly clips: Record<string, { readonly speech_frames: readonly number[] }>;
}

const labels = JSON.parse(readFileSync(join(assetsAudioDir(), 'labels.json'), 'utf8')) as Labels;

/** A clip's labelled speech: first speech frame's start and last speech frame's end, ms into the clip. */
export function speechSpan(clip: string): { onsetMs: number; endMs: number } {
  const frames = labels.clips[clip]?.speech_frames;
  if (!frames) throw new Error(`no labels for ${clip}`);
  const first = frames.indexOf(1);
  const last = frames.lastIndexOf(1);
  return { onsetMs: first * labels.frame_ms, endMs: (last + 1) * labels.frame_ms };
}
