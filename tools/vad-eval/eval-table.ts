import { maxAbs, median, type Score } from './eval-score.js';

const f0 = (v: number) => (Number.isNaN(v) ? '–' : v.toFixed(0));
const f1 = (v: number) => (Number.isNaN(v) ? '–' : v.toFixed(1));
const frames = (ms: number) => (Number.isNaN(ms) ? '–' : (ms / 20).toFixed(1));

/** Markdown table of the given clips: one row per detector. */
export function givenTable(rows: readonly { name: string; score: Score; cpu: number }[]): string {
  const head = [
    'detector',
    'onset err, frames (median / max abs)',
    'onsets within 60 ms',
    'detection delay ms (median / max)',
    'one turn per sentence',
    'speech frames missed',
    'end err ms, clean',
    'end err ms, noisy (median / max abs)',
    'false turns, noise-only clips',
    'DTMF: turns / digit heard',
    'CPU µs per 20 ms frame',
  ];
  const lines = rows.map(({ name, score: s, cpu }) => [
    name,
    `${frames(median(s.onsetErrors))} / ${frames(maxAbs(s.onsetErrors))}`,
    `${s.onsetErrors.filter((e) => Math.abs(e) <= 60).length}/${s.speechClips}`,
    `${f0(median(s.detectDelays))} / ${f0(Math.max(...s.detectDelays))}`,
    `${s.oneTurn}/${s.speechClips}`,
    `${f1((100 * s.missedFrames) / s.speechFrames)} %`,
    s.endErrorsClean.map((e) => f0(e)).join(', ') || '–',
    `${f0(median(s.endErrorsNoisy))} / ${f0(maxAbs(s.endErrorsNoisy))}`,
    `${s.noiseTurns} (${s.noiseClips} clips)`,
    `${s.dtmfTurns} / ${s.dtmfClips ? (s.dtmfHeard ? 'yes' : 'no') : '–'}`,
    f1(cpu),
  ]);
  return table(head, lines);
}

/** Markdown table of the harder clips: per detector and SNR. */
export function harderTable(
  rows: readonly { name: string; bySnr: readonly [number, Score][]; noise: Score }[],
): string {
  const head = [
    'detector',
    'SNR dB',
    'onsets within 60 ms',
    'missed onsets',
    'onset err, frames (median / max abs)',
    'detection delay ms (median / max)',
    'one turn per sentence',
    'speech frames missed',
    'false turns, noise-only clips',
  ];
  const lines: string[][] = [];
  for (const { name, bySnr, noise } of rows) {
    bySnr.forEach(([snr, s], i) =>
      lines.push([
        i === 0 ? name : '',
        String(snr),
        `${s.onsetErrors.filter((e) => Math.abs(e) <= 60).length}/${s.speechClips}`,
        String(s.missedOnsets),
        `${frames(median(s.onsetErrors))} / ${frames(maxAbs(s.onsetErrors))}`,
        `${f0(median(s.detectDelays))} / ${f0(s.detectDelays.length ? Math.max(...s.detectDelays) : Number.NaN)}`,
        `${s.oneTurn}/${s.speechClips}`,
        `${f1((100 * s.missedFrames) / s.speechFrames)} %`,
        i === 0 ? `${noise.noiseTurns} (${noise.noiseClips} clips)` : '',
      ]),
    );
  }
  return table(head, lines);
}

function table(head: readonly string[], lines: readonly (readonly string[])[]): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...lines.map((l) => `| ${l.join(' | ')} |`),
  ].join('\n');
}
