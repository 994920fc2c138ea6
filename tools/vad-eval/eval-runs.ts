import type { AudioEvent, AudioProcessor, AudioStream } from '../../src/media/audio/audio-processor.interface.js';
import type { FrameClassifier, Turn } from './baselines/frame-classifier.js';
import { turnsOf } from './baselines/frame-classifier.js';
import { DEFAULT_TURN_OPTIONS } from '../../src/media/audio/audio-processor.options.js';
import { clipFrames } from '../../test/support/audio/clip-frames.js';
import type { ClipResult } from './eval-score.js';
import type { EvalClip } from './eval-clips.js';

/** A detector's results and CPU cost. */
export interface Run {
  readonly results: ClipResult[];
  /** CPU time (user + system, all threads) per 20 ms frame of audio, µs. */
  readonly cpuUsPerFrame: number;
  /** Processor runs: windows that went to the model / were settled by the first stage. */
  readonly modelWindows?: number;
  readonly gatedWindows?: number;
}

/** Turns and DTMF digits from a stream's events. */
export function resultOf(clip: EvalClip, events: readonly AudioEvent[]): ClipResult {
  const turns: Turn[] = [];
  const digits: string[] = [];
  let open: AudioEvent | undefined;
  for (const e of events) {
    if (e.type === 'dtmf') digits.push(e.digit);
    else if (e.type === 'speech.started') open = e;
    else if (open) {
      turns.push({
        startedAt: open.at,
        startDetectedAt: open.detectedAt,
        stoppedAt: e.at,
        stopDetectedAt: e.detectedAt,
      });
      open = undefined;
    }
  }
  return { clip, turns, digits };
}

function frames(clips: readonly EvalClip[]): number {
  return clips.reduce((n, c) => n + c.mulaw.byteLength / 160, 0);
}

function cpuMicros(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return u.user + u.system;
}

/**
 * Streams every clip through `processor` as 20 ms frames on the inbound track, `concurrency` clips at a time in
 * lock step (frame f of each, then let the model answer: one batched run for all of them), as live calls would.
 */
export async function runProcessor(
  processor: AudioProcessor & { whenIdle(): Promise<void> },
  clips: readonly EvalClip[],
  concurrency: number,
): Promise<Run> {
  const results: ClipResult[] = new Array<ClipResult>(clips.length);
  let modelWindows = 0;
  let gatedWindows = 0;
  const start = process.cpuUsage();
  for (let from = 0; from < clips.length; from += concurrency) {
    const group = clips.slice(from, from + concurrency);
    const live = group.map((clip) => {
      const events: AudioEvent[] = [];
      const stream: AudioStream = processor.open({ tracks: ['inbound'], onEvent: (e) => events.push(e) });
      return { clip, events, stream, frames: clipFrames(clip.mulaw) };
    });
    const longest = Math.max(...live.map((l) => l.frames.length));
    for (let f = 0; f < longest; f++) {
      for (const l of live) if (f < l.frames.length) l.stream.push(l.frames[f]!);
      await processor.whenIdle();
    }
    await Promise.all(live.map(async (l) => l.stream.end(l.clip.durationMs)));
    live.forEach((l, i) => {
      modelWindows += l.stream.stats.modelWindows;
      gatedWindows += l.stream.stats.gatedWindows;
      l.stream.close();
      results[from + i] = resultOf(l.clip, l.events);
    });
  }
  return { results, cpuUsPerFrame: cpuMicros(start) / frames(clips), modelWindows, gatedWindows };
}

/** Runs a frame-level baseline over every clip (`repeats` times for a stable CPU figure). */
export async function runClassifier(
  classifier: FrameClassifier,
  clips: readonly EvalClip[],
  repeats: number,
): Promise<Run> {
  const unitMs = classifier.unitSamples / 8;
  const probs: Float32Array[] = [];
  const start = process.cpuUsage();
  for (let r = 0; r < repeats; r++) {
    for (let i = 0; i < clips.length; i++) probs[i] = await classifier.classify(clips[i]!.linear);
  }
  const cpu = cpuMicros(start) / repeats;
  const results = clips.map((clip, i) => ({
    clip,
    turns: turnsOf(probs[i]!, unitMs, DEFAULT_TURN_OPTIONS, clip.durationMs),
    digits: [] as string[],
  }));
  return { results, cpuUsPerFrame: cpu / frames(clips) };
}
