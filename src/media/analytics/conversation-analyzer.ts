import type { ConversationAnalytics } from '../../calls/call-record.js';
import type { AudioEvent } from '../audio/audio-processor.interface.js';
import { SpeechTimeline, type Segment } from './speech-timeline.js';

/** Live signals the analyzer raises as the conversation goes. */
export interface ConversationSignals {
  /** The caller started speaking while the agent was speaking. */
  interruption(at: number): void;
  /** Both sides have been silent `ms` since `since`; raised once per silent stretch. */
  deadAir(ms: number, since: number): void;
}

const MAX_DTMF = 200;

/**
 * Measures a conversation from the audio processor's speech events on both tracks (inbound = caller, outbound =
 * agent): response latency per turn, interruptions and how fast the agent yielded, dead air, talk and overlap time.
 *
 * Detectors date turns back (a start is confirmed after it began, a stop after the hangover), so events of the two
 * tracks reach the analyzer out of time order. It therefore keeps each track's dated turns and computes the figures
 * from them ({@link snapshot}), which stays exact whatever order events arrived in. The live signals are raised from
 * what is known at the time.
 */
export class ConversationAnalyzer {
  private readonly caller: SpeechTimeline;
  private readonly agent: SpeechTimeline;
  private readonly dtmf: { digit: string; at: number }[] = [];
  private coveredMs = 0;
  private deadAirReportedFor: number | undefined;

  constructor(
    private readonly signals: ConversationSignals,
    private readonly deadAirThresholdMs = 2000,
    maxTurns = 5000,
  ) {
    this.caller = new SpeechTimeline(maxTurns);
    this.agent = new SpeechTimeline(maxTurns);
  }

  onEvent(event: AudioEvent): void {
    const timeline = event.track === 'inbound' ? this.caller : this.agent;
    switch (event.type) {
      case 'speech.started': {
        timeline.start(event.at);
        if (event.track === 'inbound' && this.agentSpeakingAt(event.at)) this.signals.interruption(event.at);
        break;
      }
      case 'speech.stopped':
        timeline.stop(event.at);
        break;
      case 'dtmf':
        if (this.dtmf.length < MAX_DTMF) this.dtmf.push({ digit: event.digit, at: event.at });
        break;
    }
    this.advance(event.detectedAt);
  }

  /** Moves stream time on (call on every frame): drives the dead-air signal. */
  advance(streamMs: number): void {
    if (streamMs > this.coveredMs) this.coveredMs = streamMs;
    if (this.caller.isSpeaking || this.agent.isSpeaking) return;
    const since = Math.max(this.caller.lastEnd ?? -Infinity, this.agent.lastEnd ?? -Infinity);
    if (!Number.isFinite(since) || since === this.deadAirReportedFor) return;
    const ms = this.coveredMs - since;
    if (ms >= this.deadAirThresholdMs) {
      this.deadAirReportedFor = since;
      this.signals.deadAir(ms, since);
    }
  }

  /** The figures so far (final once the stream has ended). */
  snapshot(): ConversationAnalytics {
    const end = this.coveredMs;
    const c = this.caller.segments(end);
    const a = this.agent.segments(end);
    const latencies = responseLatencies(c.segments, c.open, a.segments);
    const deadAir = silences(c.segments, a.segments, end);
    return {
      responseLatenciesMs: latencies,
      responseLatencyMs: {
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        max: latencies.length ? Math.max(...latencies) : null,
      },
      interruptions: interruptions(c.segments, a.segments, a.open),
      deadAir,
      talkTimeMs: { caller: total(c.segments), agent: total(a.segments) },
      overlapMs: overlap(c.segments, a.segments),
      dtmf: [...this.dtmf],
      coveredMs: end,
    };
  }

  private agentSpeakingAt(t: number): boolean {
    const start = this.agent.currentStart;
    if (start !== undefined) return start < t;
    const lastEnd = this.agent.lastEnd;
    return lastEnd !== undefined && lastEnd > t;
  }
}

const total = (segments: readonly Segment[]) => segments.reduce((sum, s) => sum + (s.end - s.start), 0);

function overlap(x: readonly Segment[], y: readonly Segment[]): number {
  let i = 0;
  let j = 0;
  let sum = 0;
  while (i < x.length && j < y.length) {
    const lo = Math.max(x[i]!.start, y[j]!.start);
    const hi = Math.min(x[i]!.end, y[j]!.end);
    if (hi > lo) sum += hi - lo;
    if (x[i]!.end < y[j]!.end) i++;
    else j++;
  }
  return sum;
}

/** Both-silent stretches between the first speech and `end`. */
function silences(x: readonly Segment[], y: readonly Segment[], end: number): { totalMs: number; longestMs: number } {
  const all = [...x, ...y].sort((p, q) => p.start - q.start);
  if (!all.length) return { totalMs: 0, longestMs: 0 };
  let totalMs = 0;
  let longestMs = 0;
  let reach = all[0]!.end;
  const gap = (ms: number) => {
    if (ms <= 0) return;
    totalMs += ms;
    longestMs = Math.max(longestMs, ms);
  };
  for (const s of all) {
    if (s.start > reach) gap(s.start - reach);
    reach = Math.max(reach, s.end);
  }
  gap(end - reach);
  return { totalMs, longestMs };
}

/**
 * For each finished caller turn, the time until the agent next started speaking, when the agent was silent as the
 * caller finished and the caller did not resume first (that is a pause, not a handover).
 */
function responseLatencies(caller: readonly Segment[], callerOpen: boolean, agent: readonly Segment[]): number[] {
  const out: number[] = [];
  const finished = callerOpen ? caller.length - 1 : caller.length;
  let j = 0;
  for (let i = 0; i < finished; i++) {
    const turnEnd = caller[i]!.end;
    while (j < agent.length && agent[j]!.end <= turnEnd) j++;
    const next = agent[j];
    if (!next || next.start < turnEnd) continue; // agent silent never came, or was already talking over the caller
    const nextCaller = caller[i + 1];
    if (nextCaller && nextCaller.start < next.start) continue;
    out.push(next.start - turnEnd);
  }
  return out;
}

function interruptions(
  caller: readonly Segment[],
  agent: readonly Segment[],
  agentOpen: boolean,
): { at: number; yieldMs: number | null }[] {
  const out: { at: number; yieldMs: number | null }[] = [];
  let j = 0;
  for (const turn of caller) {
    while (j < agent.length && agent[j]!.end <= turn.start) j++;
    const a = agent[j];
    if (!a || a.start >= turn.start) continue;
    const stillTalking = agentOpen && j === agent.length - 1;
    out.push({ at: turn.start, yieldMs: stillTalking ? null : a.end - turn.start });
  }
  return out;
}

/** Nearest-rank percentile; null for no data. */
export function percentile(values: readonly number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
