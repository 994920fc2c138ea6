import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assetsAudioDir, readMulawWav } from '../../emulators/wav.js';
import { MULAW_TO_FLOAT } from '../../src/media/audio/mulaw.js';

/** Frame of the labels (20 ms). */
export const LABEL_FRAME_MS = 20;

/** One labelled clip of assets/audio or assets/audio/extra. */
export interface EvalClip {
  readonly name: string;
  /** `given`: the clips; `extra`: the harder ones from scripts/make-noise-clips.sh. */
  readonly set: 'given' | 'extra';
  readonly kind: 'speech' | 'noise' | 'dtmf';
  readonly noise: string;
  readonly snrDb: number | null;
  readonly digit?: string;
  readonly speechFrames: readonly number[];
  readonly mulaw: Uint8Array;
  readonly linear: Float32Array;
  readonly durationMs: number;
  /** First labelled speech (ms), NaN if none. */
  readonly onsetMs: number;
  /** End of the last labelled speech frame (ms), NaN if none. */
  readonly endMs: number;
}

interface LabelsFile {
  clips: Record<
    string,
    {
      speech_frames: number[];
      kind: 'speech' | 'noise' | 'dtmf';
      noise?: string | null;
      snr_db?: number | null;
      digit?: string;
    }
  >;
}

function loadSet(dir: string, set: EvalClip['set']): EvalClip[] {
  const labels = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as LabelsFile;
  return Object.entries(labels.clips).map(([name, l]) => {
    const { samples, durationMs } = readMulawWav(join(dir, `${name}.wav`));
    const first = l.speech_frames.indexOf(1);
    const last = l.speech_frames.lastIndexOf(1);
    return {
      name,
      set,
      kind: l.kind,
      noise: l.noise ?? (l.kind === 'dtmf' ? 'dtmf' : 'none'),
      snrDb: l.snr_db ?? null,
      digit: l.digit,
      speechFrames: l.speech_frames,
      mulaw: samples,
      linear: Float32Array.from(samples, (b) => MULAW_TO_FLOAT[b]!),
      durationMs,
      onsetMs: first < 0 ? Number.NaN : first * LABEL_FRAME_MS,
      endMs: last < 0 ? Number.NaN : (last + 1) * LABEL_FRAME_MS,
    };
  });
}

/** Every labelled clip: the given ones, then the harder ones (if generated). */
export function loadEvalClips(): EvalClip[] {
  const dir = assetsAudioDir();
  const clips = loadSet(dir, 'given');
  try {
    clips.push(...loadSet(join(dir, 'extra'), 'extra'));
  } catch (e) {
    process.stderr.write(`no harder clips (run scripts/make-noise-clips.sh): ${(e as Error).message}\n`);
  }
  return clips;
}
