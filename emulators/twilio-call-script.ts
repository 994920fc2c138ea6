/**
 * What happens on an emulated phone call besides the app's TwiML: who says what when, how long the call lasts, who
 * hangs up, and which faults to inject.
 */
import type { StreamFaults, ScriptedDtmf } from './media-stream-client.js';
import { clipDurationMs, clipName, TrackAudio, type ClipPlacement } from './mulaw-audio.js';
import type { TranscriptLine } from './sip-endpoint.js';
import type { SignatureMode } from './twilio-webhook-signer.js';

/** The script of one call. Clip times are ms from the start of the stream that carries them. */
export interface CallScript {
  /** The caller's audio: the `inbound` track. */
  readonly caller?: readonly ClipPlacement[];
  /** What the caller hears from the far end (the Retell agent over SIP): the `outbound` track of a fork. */
  readonly agent?: readonly ClipPlacement[];
  /**
   * How long the conversation lasts once the call is answered, ms. Default: the end of the last clip + 500 ms
   * (1000 ms with no clips).
   */
  readonly durationMs?: number;
  /**
   * Who hangs up when `durationMs` is up. `agent` (default): the dialled leg (Retell) hangs up, Twilio posts the
   * `<Dial action>` and runs the TwiML it gets back. `caller`: the caller hangs up; the action is still posted but its
   * TwiML is ignored. Outside a `<Dial>` (e.g. in `<Connect>`) the caller always hangs up.
   */
  readonly hangupBy?: 'agent' | 'caller';
  /** Key presses sent on a bidirectional stream. */
  readonly dtmf?: readonly ScriptedDtmf[];
  /** What Retell reports as the transcript. Default: one line per clip, at the clip's end. */
  readonly transcript?: readonly TranscriptLine[];
  /** Fields of Retell's `call_analysis` (merged over the emulator's defaults). */
  readonly analysis?: Readonly<Record<string, unknown>>;
  /** Faults injected on every media stream of the call. */
  readonly streamFaults?: StreamFaults;
  /** Stamp inbound frames with their chunk number (latency benchmarks). */
  readonly stampFrames?: boolean;
  /** How stream upgrades are signed. Default `valid`. */
  readonly streamSignature?: SignatureMode;
  /** How webhooks for this call are signed. Default `valid`. */
  readonly webhookSignature?: SignatureMode;
  /** Extra voice-request parameters (`ForwardedFrom`, `CallerName`, `StirVerstat`, …). */
  readonly params?: Readonly<Record<string, string>>;
  /** Send the first voice webhook this many extra times at once (Twilio may repeat it). Default 0. */
  readonly voiceWebhookRepeats?: number;
  /** How a `<Dial><Number>` transfer goes. Default `completed` (answered, lasts until the script ends). */
  readonly transferOutcome?: 'completed' | 'busy' | 'no-answer' | 'failed';
  /** Put every mark / mark echo of the media streams on the timeline (noisy). Default false. */
  readonly timelineMarks?: boolean;
  /** Milliseconds `<Say>` takes, from its text. Default 0 (tests stay fast). */
  readonly sayMs?: (text: string) => number;
}

/** The script with its defaults resolved. */
export interface ResolvedScript {
  readonly script: CallScript;
  readonly inbound: TrackAudio;
  readonly outbound: TrackAudio;
  readonly durationMs: number;
  readonly hangupBy: 'agent' | 'caller';
  readonly transcript: readonly TranscriptLine[];
}

/** Resolves defaults: audio tracks, call length, a transcript derived from the clips. */
export function resolveScript(script: CallScript = {}): ResolvedScript {
  const inbound = new TrackAudio(script.caller);
  const outbound = new TrackAudio(script.agent);
  const lastClipEnd = Math.max(inbound.endMs, outbound.endMs);
  const durationMs = script.durationMs ?? (lastClipEnd > 0 ? lastClipEnd + 500 : 1000);
  const line =
    (role: TranscriptLine['role']) =>
    (p: ClipPlacement): TranscriptLine => ({
      role,
      content: p.text ?? `[${clipName(p.clip)}]`,
      atMs: p.atMs + clipDurationMs(p.clip),
    });
  const transcript =
    script.transcript ??
    [...(script.caller ?? []).map(line('user')), ...(script.agent ?? []).map(line('agent'))].sort(
      (a, b) => a.atMs - b.atMs,
    );
  return { script, inbound, outbound, durationMs, hangupBy: script.hangupBy ?? 'agent', transcript };
}
