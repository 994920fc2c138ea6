import type { AudioFrame, AudioStream } from '../../src/media/audio/audio-processor.interface.js';
import type { SileroAudioProcessor } from '../../src/media/audio/silero-audio.processor.js';
import { clipFrames } from '../../test/support/audio/clip-frames.js';

/** One simulated call: what the caller and the agent say (8 kHz mu-law, same clock). */
export interface CallAudio {
  readonly caller: Uint8Array;
  readonly agent: Uint8Array;
}

/** CPU cost of whole calls. */
export interface LoadResult {
  readonly calls: number;
  readonly callSeconds: number;
  /** CPU (user + system, all threads) per second of two-track call audio, µs. */
  readonly cpuUsPerCallSecond: number;
  /** Model windows per call-second, and the share of windows the first stage settled alone. */
  readonly modelWindowsPerCallSecond: number;
  readonly gatedShare: number;
  /** Mean windows per `session.run`. */
  readonly meanBatch: number;
}

/**
 * Simulates two-track fork calls in lock step, both tracks as Twilio sends them (sequence numbers interleaved,
 * same timestamps). Each 20 ms tick pushes one frame per track per call, then lets the model answer (one batched
 * run for every call that has a window ready).
 */
export async function simulateCalls(processor: SileroAudioProcessor, calls: readonly CallAudio[]): Promise<LoadResult> {
  const before = { ...processor.batchStats };
  const live: { stream: AudioStream; frames: AudioFrame[]; ms: number }[] = [];
  for (const { caller, agent } of calls) {
    const frames = interleave(
      clipFrames(caller, { track: 'inbound', sequenceStep: 2 }),
      clipFrames(agent, { track: 'outbound', firstSequence: 3, sequenceStep: 2 }),
    );
    const stream = processor.open({ tracks: ['inbound', 'outbound'], onEvent: () => undefined });
    live.push({ stream, frames, ms: Math.max(caller.byteLength, agent.byteLength) / 8 });
  }
  const start = process.cpuUsage();
  const longest = Math.max(...live.map((l) => l.frames.length));
  for (let f = 0; f < longest; f += 2) {
    for (const l of live) {
      if (f < l.frames.length) l.stream.push(l.frames[f]!);
      if (f + 1 < l.frames.length) l.stream.push(l.frames[f + 1]!);
    }
    await processor.whenIdle();
  }
  await Promise.all(live.map(async (l) => l.stream.end(l.ms)));
  const u = process.cpuUsage(start);
  let model = 0;
  let gated = 0;
  for (const l of live) {
    model += l.stream.stats.modelWindows;
    gated += l.stream.stats.gatedWindows;
    l.stream.close();
  }
  const callSeconds = live.reduce((s, l) => s + l.ms / 1000, 0);
  const after = processor.batchStats;
  const runs = after.runs - before.runs;
  return {
    calls: calls.length,
    callSeconds,
    cpuUsPerCallSecond: (u.user + u.system) / callSeconds,
    modelWindowsPerCallSecond: model / callSeconds,
    gatedShare: gated / (model + gated),
    meanBatch: runs ? (after.windows - before.windows) / runs : 0,
  };
}

function interleave(a: AudioFrame[], b: AudioFrame[]): AudioFrame[] {
  const out: AudioFrame[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) out.push(a[i]!);
    if (i < b.length) out.push(b[i]!);
  }
  return out;
}
