import type { Turn } from './baselines/frame-classifier.js';
import { LABEL_FRAME_MS, type EvalClip } from './eval-clips.js';

/** What one detector did on one clip. */
export interface ClipResult {
  readonly clip: EvalClip;
  readonly turns: readonly Turn[];
  readonly digits: readonly string[];
}

/** Aggregates over a set of clips (times in ms). */
export interface Score {
  readonly speechClips: number;
  /** Dated start of the first turn minus the labelled onset, per speech clip with a turn. */
  readonly onsetErrors: number[];
  /** `speech.started` detection time minus the labelled onset. */
  readonly detectDelays: number[];
  /** Speech clips without any turn overlapping the speech. */
  readonly missedOnsets: number;
  /** Speech clips heard as exactly one turn. */
  readonly oneTurn: number;
  /** Labelled speech frames outside every turn / all labelled speech frames. */
  readonly missedFrames: number;
  readonly speechFrames: number;
  /** Dated end of the last turn minus the labelled end, per speech clip (clean ones separately). */
  readonly endErrorsClean: number[];
  readonly endErrorsNoisy: number[];
  /** Turns on noise-only clips, and how many such clips. */
  readonly noiseTurns: number;
  readonly noiseClips: number;
  /** Turns on DTMF clips; DTMF clips whose digit was heard; DTMF clips. */
  readonly dtmfTurns: number;
  readonly dtmfHeard: number;
  readonly dtmfClips: number;
}

/** Scores a detector's results. */
export function score(results: readonly ClipResult[]): Score {
  const s = {
    speechClips: 0,
    onsetErrors: [] as number[],
    detectDelays: [] as number[],
    missedOnsets: 0,
    oneTurn: 0,
    missedFrames: 0,
    speechFrames: 0,
    endErrorsClean: [] as number[],
    endErrorsNoisy: [] as number[],
    noiseTurns: 0,
    noiseClips: 0,
    dtmfTurns: 0,
    dtmfHeard: 0,
    dtmfClips: 0,
  };
  for (const { clip, turns, digits } of results) {
    if (clip.kind === 'noise') {
      s.noiseClips++;
      s.noiseTurns += turns.length;
      continue;
    }
    if (clip.kind === 'dtmf') {
      s.dtmfClips++;
      s.dtmfTurns += turns.length;
      if (clip.digit !== undefined && digits.includes(clip.digit)) s.dtmfHeard++;
      continue;
    }
    s.speechClips++;
    // The turn that carries the onset: the first one that ends after it (an earlier one is a false start).
    const first = turns.find((t) => endOf(t, clip) > clip.onsetMs);
    if (!first || first.startedAt >= clip.endMs) s.missedOnsets++;
    else {
      s.onsetErrors.push(first.startedAt - clip.onsetMs);
      s.detectDelays.push(first.startDetectedAt - clip.onsetMs);
    }
    if (turns.length === 1) s.oneTurn++;
    clip.speechFrames.forEach((v, f) => {
      if (v !== 1) return;
      s.speechFrames++;
      const mid = (f + 0.5) * LABEL_FRAME_MS;
      if (!turns.some((t) => t.startedAt <= mid && mid < endOf(t, clip))) s.missedFrames++;
    });
    const last = turns.at(-1);
    if (last) (clip.noise === 'none' ? s.endErrorsClean : s.endErrorsNoisy).push(endOf(last, clip) - clip.endMs);
  }
  return s;
}

function endOf(t: Turn, clip: EvalClip): number {
  return Number.isNaN(t.stoppedAt) ? clip.durationMs : t.stoppedAt;
}

export function median(values: readonly number[]): number {
  if (!values.length) return Number.NaN;
  const v = [...values].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

export function maxAbs(values: readonly number[]): number {
  return values.length ? values.reduce((m, v) => Math.max(m, Math.abs(v)), 0) : Number.NaN;
}
