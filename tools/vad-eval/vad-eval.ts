/**
 * `npm run vad:eval`: scores the default audio processor against baselines on the labelled clips of assets/audio
 * (and assets/audio/extra, from scripts/make-noise-clips.sh), and measures what each costs. Prints markdown.
 *
 * Every detector goes through the same turn logic (60 ms of speech to start, 600 ms of silence to stop); the
 * baselines' turns start at their first speech frame, the default processor's are dated back by its energy record.
 */
import { FvadFrameClassifier } from './baselines/fvad.classifier.js';
import type { FrameClassifier } from './baselines/frame-classifier.js';
import { RmsFrameClassifier } from './baselines/rms.classifier.js';
import { SileroWindowClassifier } from './baselines/silero-window.classifier.js';
import { SileroAudioProcessor } from '../../src/media/audio/silero-audio.processor.js';
import { loadEvalClips, type EvalClip } from './eval-clips.js';
import { simulateCalls, type CallAudio, type LoadResult } from './eval-load.js';
import { runClassifier, runProcessor, type Run } from './eval-runs.js';
import { score, type ClipResult } from './eval-score.js';
import { givenTable, harderTable } from './eval-table.js';

const CLASSIFIER_REPEATS = 3;
const LOAD_CALLS = 64;

interface Row {
  readonly name: string;
  readonly run: Run;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const clips = loadEvalClips();
  const given = clips.filter((c) => c.set === 'given');
  const extra = clips.filter((c) => c.set === 'extra');
  const totalFrames = clips.reduce((n, c) => n + c.mulaw.byteLength / 160, 0);

  const processor = await SileroAudioProcessor.create();
  const gateOnly = await SileroAudioProcessor.create({ trackDetectors: { inbound: 'gate', outbound: 'gate' } });
  await runProcessor(processor, given, given.length); // warm-up (JIT), not measured

  const rows: Row[] = [];
  const batched = await runProcessor(processor, clips, clips.length);
  rows.push({ name: '**default**: energy gate → Silero v5, batched across calls', run: batched });
  const single = await runProcessor(processor, clips, 1);
  const same = sameEvents(batched.results, single.results);
  rows.push({ name: 'default, one call at a time (batch of 1)', run: single });
  rows.push({
    name: 'first stage alone (the agent-track detector)',
    run: await runProcessor(gateOnly, clips, clips.length),
  });

  const classifiers: FrameClassifier[] = [
    await SileroWindowClassifier.create(),
    new RmsFrameClassifier(-45),
    ...(await Promise.all(([0, 1, 2, 3] as const).map((m) => FvadFrameClassifier.create(m)))),
  ];
  for (const c of classifiers) {
    rows.push({
      name: c.name,
      run: await runClassifier(c, clips, c instanceof SileroWindowClassifier ? 1 : CLASSIFIER_REPEATS),
    });
    await c.dispose?.();
  }

  const dense = denseCalls(clips);
  const turnTaking = turnTakingCalls(clips);
  const load = {
    dense: await simulateCalls(processor, dense),
    turns: await simulateCalls(processor, turnTaking),
  };
  // One call at a time (batch of 1): the same calls, sequentially.
  const alone = {
    dense: await oneByOne(processor, dense.slice(0, 16)),
    turns: await oneByOne(processor, turnTaking.slice(0, 16)),
  };

  await processor.onApplicationShutdown();
  await gateOnly.onApplicationShutdown();

  const out: string[] = [];
  out.push(
    `## VAD evaluation (${given.length} given clips, ${extra.length} harder clips, ${totalFrames} frames of 20 ms)\n`,
  );
  out.push('### Given clips (assets/audio: clean, white and pink noise at 20 and 10 dB SNR, noise only, DTMF "0")\n');
  out.push(givenTable(rows.map((r) => ({ name: r.name, score: score(of(r.run, given)), cpu: r.run.cpuUsPerFrame }))));
  if (extra.length) {
    out.push('\n### Harder clips (assets/audio/extra: pink, brown, hum, rumble, click noise)\n');
    const snrs = [...new Set(extra.filter((c) => c.snrDb !== null).map((c) => c.snrDb!))].sort((a, b) => b - a);
    out.push(
      harderTable(
        rows
          .filter((r) => r.name !== 'default, one call at a time (batch of 1)')
          .map((r) => ({
            name: r.name,
            bySnr: snrs.map(
              (snr) =>
                [snr, score(of(r.run, extra).filter((x) => x.clip.snrDb === snr))] as [
                  number,
                  ReturnType<typeof score>,
                ],
            ),
            noise: score(of(r.run, extra).filter((x) => x.clip.kind === 'noise')),
          })),
      ),
    );
    out.push('\n' + perNoise(batched, extra));
  }
  const p = processor.batchStats;
  out.push('\n### Notes\n');
  out.push(
    `- Batched and one-at-a-time runs of the default processor produced ${same ? 'identical' : 'DIFFERENT'} events on every clip.`,
  );
  out.push(
    `- Default processor, all clips: ${pct(modelShare(batched))} of the 32 ms windows went to the model; ` +
      `the rest were settled by the energy gate / DTMF detector. Largest batch: ${p.largestBatch}.`,
  );
  out.push(
    `- Whole two-track calls, CPU per call-second (caller on the model, agent on the first stage; ${LOAD_CALLS} calls in lock ` +
      'step, so every 32 ms window of every call lands in the same batch: an upper bound on batching):',
  );
  out.push(loadTable(load.dense, load.turns, alone.dense, alone.turns));

  out.push(
    '- Onset error = dated `speech.started.at` − first labelled speech frame; detection delay = `detectedAt` − that onset; ' +
      'end error = `speech.stopped.at` − end of the last labelled frame. Labels mark speech within 35 dB of the clean ' +
      "sentence's loudest frame, so at low SNR the first and last labelled frames are buried in the noise.",
  );
  out.push(
    '- Baselines run through the same turn logic (start after 60 ms of speech, stop after 600 ms of silence) with no dating ' +
      'back. CPU = process user+system time (all threads) / 20 ms frames of audio, Node ' +
      `${process.version}, onnxruntime-node 1 thread.`,
  );
  out.push(
    '- Baseline behaviour worth knowing: the RMS threshold calls any noise louder than −45 dBFS speech (its turns on noisy ' +
      'clips start at 0 ms); WebRTC VAD calls white and pink noise speech in every mode, and in modes 0-1 also the first ' +
      '~100 ms of every clip while it adapts (a false turn at the start of each clip, hence "one turn" 0/10); neither ' +
      'knows DTMF. Silero alone dates onsets where it becomes confident, 2-4 frames after the labelled onset.',
  );
  out.push(`- Evaluation took ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
  process.stdout.write(out.join('\n') + '\n');
}

/** Calls where both sides talk most of the time: caller = a noisy sentence clip, agent = a clean one, together. */
function denseCalls(clips: readonly EvalClip[]): CallAudio[] {
  const callers = clips.filter((c) => c.kind === 'speech' && c.noise !== 'none');
  const agents = clips.filter((c) => c.kind === 'speech' && c.noise === 'none');
  return Array.from({ length: LOAD_CALLS }, (_, i) => ({
    caller: callers[i % callers.length]!.mulaw,
    agent: agents[i % agents.length]!.mulaw,
  }));
}

/**
 * Calls with turn-taking: the caller's noisy sentence, then 8 s of the same line noise (its own lead-in, repeated)
 * while the agent, silent until then, answers with a clean sentence. About 30 % speech per side.
 */
function turnTakingCalls(clips: readonly EvalClip[]): CallAudio[] {
  const callers = clips.filter((c) => c.kind === 'speech' && c.set === 'given' && /_(white|pink)_/.test(c.name));
  const agents = clips.filter((c) => c.kind === 'speech' && c.noise === 'none');
  return Array.from({ length: LOAD_CALLS }, (_, i) => {
    const caller = callers[i % callers.length]!;
    const lead = caller.mulaw.subarray(0, (caller.onsetMs - 100) * 8);
    const line = new Uint8Array(8 * 8000).map((_, k) => lead[k % lead.length]!);
    const quiet = concat(caller.mulaw, line);
    const agent = agents[i % agents.length]!.mulaw;
    const answer = new Uint8Array(quiet.length).fill(0xff);
    answer.set(agent.subarray(0, Math.min(agent.length, quiet.length - caller.mulaw.length)), caller.mulaw.length);
    return { caller: quiet, agent: answer };
  });
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The calls one after another (every model run has a batch of 1). */
async function oneByOne(processor: SileroAudioProcessor, calls: readonly CallAudio[]): Promise<LoadResult> {
  const results: LoadResult[] = [];
  for (const call of calls) results.push(await simulateCalls(processor, [call]));
  const seconds = results.reduce((s, r) => s + r.callSeconds, 0);
  const weighted = (f: (r: LoadResult) => number) => results.reduce((s, r) => s + f(r) * r.callSeconds, 0) / seconds;
  return {
    calls: calls.length,
    callSeconds: seconds,
    cpuUsPerCallSecond: weighted((r) => r.cpuUsPerCallSecond),
    modelWindowsPerCallSecond: weighted((r) => r.modelWindowsPerCallSecond),
    gatedShare: weighted((r) => r.gatedShare),
    meanBatch: 1,
  };
}

function loadTable(dense: LoadResult, turns: LoadResult, denseAlone: LoadResult, turnsAlone: LoadResult): string {
  const row = (name: string, batched: LoadResult, alone: LoadResult) =>
    `| ${name} | ${batched.cpuUsPerCallSecond.toFixed(0)} µs (mean batch ${batched.meanBatch.toFixed(1)}) | ` +
    `${alone.cpuUsPerCallSecond.toFixed(0)} µs | ${batched.modelWindowsPerCallSecond.toFixed(1)} of 62.5 | ` +
    `${(1e6 / batched.cpuUsPerCallSecond).toFixed(0)} |`;
  return [
    '',
    '| calls | CPU per call-second, batched | CPU per call-second, one call at a time | model windows per call-second (both tracks) | calls per core at 100 % CPU (batched) |',
    '|---|---|---|---|---|',
    row('dense speech (both sides talk ~65 % of the time)', dense, denseAlone),
    row('turn-taking (~30 % speech per side, noisy caller line)', turns, turnsAlone),
    '',
  ].join('\n');
}

function of(run: Run, clips: readonly EvalClip[]): ClipResult[] {
  const names = new Set(clips.map((c) => c.name + c.set));
  return run.results.filter((r) => names.has(r.clip.name + r.clip.set));
}

function modelShare(run: Run): number {
  const model = run.modelWindows ?? 0;
  return model / (model + (run.gatedWindows ?? 0));
}

function pct(v: number): string {
  return `${(100 * v).toFixed(0)} %`;
}

function sameEvents(a: readonly ClipResult[], b: readonly ClipResult[]): boolean {
  return a.every((r, i) => JSON.stringify([r.turns, r.digits]) === JSON.stringify([b[i]!.turns, b[i]!.digits]));
}

/** Default processor on the harder clips, per noise. */
function perNoise(run: Run, extra: readonly EvalClip[]): string {
  const noises = [...new Set(extra.filter((c) => c.kind === 'speech').map((c) => c.noise))];
  const lines = [
    '| default, per noise | onsets within 60 ms | one turn | speech frames missed | false turns, noise only |',
    '|---|---|---|---|---|',
  ];
  for (const n of noises) {
    const s = score(of(run, extra).filter((r) => r.clip.noise === n || r.clip.noise.startsWith(n)));
    lines.push(
      `| ${n} | ${s.onsetErrors.filter((e) => Math.abs(e) <= 60).length}/${s.speechClips} | ${s.oneTurn}/${s.speechClips} | ` +
        `${((100 * s.missedFrames) / s.speechFrames).toFixed(1)} % | ${s.noiseTurns} |`,
    );
  }
  return lines.join('\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
