/**
 * What the slowest frames of a run waited behind. With `--dump`, the app keeps a timeline of everything that holds
 * its event loop (GC pauses, Silero runs, stalls seen by a 1 ms timer, and the ticks of that timer in which the main
 * thread waited for a core); a frame whose send → arrival interval overlaps one of them may have queued behind it.
 * Counting the overlaps of the frames at or above the p99 says which of them set the p99, which the percentiles alone
 * cannot.
 */

import { constants as perf } from 'node:perf_hooks';

/** Timeline kinds: Node's GC kinds (`perf_hooks.constants.NODE_PERFORMANCE_GC_*`: 1, 4, 8, 16) plus our own. */
export const TIMELINE_KIND = {
  /** A gap of more than 5 ms between two ticks of a 1 ms timer, whatever filled it. */
  stall: 0,
  /** One Silero `session.run` on the event loop (native, synchronous): the fallback's, when streams moved there. */
  model: 64,
  /**
   * A tick of the 1 ms timer in which the main thread waited at least {@link PREEMPTED_MIN_WAIT_MS} for a core
   * (runnable, not running: another thread or a kernel thread had it). A kernel thread that takes the core for a few
   * ms stays under the 5 ms stall threshold, yet queues tens of frames.
   */
  preempted: 128,
} as const;

/** How long the main thread must wait for a core within one tick of the 1 ms timer to count as preempted. */
export const PREEMPTED_MIN_WAIT_MS = 1;

/** Every timeline kind by name, written into the dump for whoever reads it. */
export const TIMELINE_KIND_NAMES: Readonly<Record<number, string>> = {
  [TIMELINE_KIND.stall]: 'stall over 5 ms',
  [TIMELINE_KIND.model]: 'Silero run',
  [TIMELINE_KIND.preempted]: 'waited for a core',
  [perf.NODE_PERFORMANCE_GC_MINOR]: 'GC minor',
  [perf.NODE_PERFORMANCE_GC_MAJOR]: 'GC major',
  [perf.NODE_PERFORMANCE_GC_INCREMENTAL]: 'GC incremental',
  [perf.NODE_PERFORMANCE_GC_WEAKCB]: 'GC weak callbacks',
};

/** A timeline entry's kind, for people: `stall`, `model`, `preempted` or `gc` (any collection). */
export type TailCause = 'model' | 'gc' | 'stall' | 'preempted';

const CAUSES: readonly TailCause[] = ['model', 'gc', 'stall', 'preempted'];

function causeOf(kind: number): TailCause {
  if (kind === TIMELINE_KIND.stall) return 'stall';
  if (kind === TIMELINE_KIND.model) return 'model';
  if (kind === TIMELINE_KIND.preempted) return 'preempted';
  return 'gc';
}

/** One thing that held the event loop: [start ms, duration ms, kind], on the frames' clock. */
export type TimelineEvent = readonly [start: number, durationMs: number, kind: number, ...rest: number[]];

/** How the frames at or above `thresholdMs` overlap the timeline. */
export interface TailAttribution {
  readonly thresholdMs: number;
  readonly frames: number;
  /** Frames whose interval overlaps at least one entry of that cause (a frame may count under several). */
  readonly overlapping: Readonly<Record<TailCause, number>>;
  /** Frames that overlap nothing on the timeline: they waited behind ordinary work (or outside the app). */
  readonly none: number;
}

/**
 * Counts, for the frames with `latency ≥ thresholdMs` (`sent` and `latency` in ms, same clock as the timeline),
 * which causes their `[sent, sent + latency]` interval overlaps.
 */
export function attributeTail(
  sent: ArrayLike<number>,
  latency: ArrayLike<number>,
  timeline: readonly TimelineEvent[],
  thresholdMs: number,
): TailAttribution {
  const events = timeline.map(([start, duration, kind]) => ({ start, end: start + duration, cause: causeOf(kind) }));
  events.sort((a, b) => a.start - b.start);
  // Entries can nest (a stall contains the GC pause that caused it): search from the first that could still overlap.
  const longest = events.reduce((m, e) => Math.max(m, e.end - e.start), 0);
  const overlapping: Record<TailCause, number> = { model: 0, gc: 0, stall: 0, preempted: 0 };
  let frames = 0;
  let none = 0;
  for (let i = 0; i < sent.length; i++) {
    const l = latency[i]!;
    if (!(l >= thresholdMs)) continue;
    frames++;
    const from = sent[i]!;
    const to = from + l;
    const hit: Record<TailCause, boolean> = { model: false, gc: false, stall: false, preempted: false };
    for (let j = firstStartingAfter(events, from - longest); j < events.length && events[j]!.start <= to; j++) {
      if (events[j]!.end >= from) hit[events[j]!.cause] = true;
    }
    let any = false;
    for (const c of CAUSES) {
      if (!hit[c]) continue;
      overlapping[c]++;
      any = true;
    }
    if (!any) none++;
  }
  return { thresholdMs, frames, overlapping, none };
}

/** Index of the first event starting at or after `t` (binary search on the sorted starts). */
function firstStartingAfter(events: readonly { start: number }[], t: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.start < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One line for the report: shares of the tail frames per cause. */
export function describeTail(a: TailAttribution): string {
  if (a.frames === 0) return `no frame at or above ${a.thresholdMs.toFixed(2)} ms`;
  const pct = (n: number) => `${((n / a.frames) * 100).toFixed(0)} %`;
  return (
    `${a.frames} frames at or above ${a.thresholdMs.toFixed(2)} ms overlap a Silero run ${pct(a.overlapping.model)}, ` +
    `a GC pause ${pct(a.overlapping.gc)}, a stall over 5 ms ${pct(a.overlapping.stall)}, ` +
    `a wait for a core (≥ ${PREEMPTED_MIN_WAIT_MS} ms in a 1 ms tick) ${pct(a.overlapping.preempted)}, nothing on the timeline ${pct(a.none)}`
  );
}
