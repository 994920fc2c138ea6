import type { TwilioCallStatus } from '../protocol/twilio-webhooks.js';

/**
 * Where a call is. `ringing → registered → connected → ended` is the happy path; `fallback` means callers got the
 * fallback TwiML (Retell unreachable or its leg failed), `failed` that the call never connected.
 */
export type CallState = 'ringing' | 'registered' | 'connected' | 'fallback' | 'ended' | 'failed';

export type CallDirection = 'inbound' | 'outbound';

/** One Twilio status callback as received. */
export interface TwilioStatusEntry {
  readonly status: TwilioCallStatus;
  readonly sequenceNumber?: number;
  readonly receivedAt: string;
  /** False when the callback arrived after a later one and did not change the call's status. */
  readonly applied: boolean;
  readonly callDuration?: number;
  readonly sipResponseCode?: number;
}

/** One Retell webhook delivery that was stored (retries are not). */
export interface RetellEventEntry {
  readonly event: string;
  readonly receivedAt: string;
}

/** Per-turn agent response latency and the summary the media gateway computes live. */
export interface ConversationAnalytics {
  /** Caller stops speaking → agent starts, one entry per turn, ms. */
  readonly responseLatenciesMs: readonly number[];
  readonly responseLatencyMs: { readonly p50: number | null; readonly p95: number | null; readonly max: number | null };
  /** Caller spoke while the agent spoke; `yieldMs` is how long the agent took to stop after the caller started. */
  readonly interruptions: readonly { readonly at: number; readonly yieldMs: number | null }[];
  /** Both sides silent. */
  readonly deadAir: { readonly totalMs: number; readonly longestMs: number };
  readonly talkTimeMs: { readonly caller: number; readonly agent: number };
  readonly overlapMs: number;
  /** Digits heard in the caller's audio, with their stream time (ms). */
  readonly dtmf: readonly { readonly digit: string; readonly at: number }[];
  /** Stream time (ms) the analytics cover. */
  readonly coveredMs: number;
}

/** The media stream attached to the call. */
export interface CallMediaInfo {
  readonly streamSid: string;
  readonly mode: 'fork' | 'relay';
  readonly tracks: readonly string[];
  readonly startedAt: string;
  endedAt?: string;
  /** Frames received per track. */
  frames: { inbound: number; outbound: number };
  /** Frames dropped at the edge or by the reorder buffer, by reason. */
  dropped: Record<string, number>;
  analytics?: ConversationAnalytics;
  /** Relay mode: what happened with the upstream agent socket. */
  relay?: {
    upstreamUrl: string;
    bargeIns: number;
    clearsSent: number;
    marksPending: number;
    agentFrames: number;
    agentFramesDropped: number;
    closedReason?: string;
  };
}

/** Everything callbridge knows about one call, keyed by Twilio's CallSid. */
export interface CallRecord {
  readonly callSid: string;
  readonly direction: CallDirection;
  readonly from: string;
  readonly to: string;
  state: CallState;
  /** Why the call is in its state when that is not obvious: `retell_timeout`, `retell_error`, `dial_busy`, … */
  stateReason?: string;
  /** When each state was entered (ISO 8601). */
  stateTimes: Partial<Record<CallState, string>>;
  readonly createdAt: string;
  updatedAt: string;
  retellCallId?: string;
  /** When the latest Retell registration lease was taken (see `CallStore.claimRegistration`). */
  registrationStartedAt?: string;
  agentId?: string;
  metadata?: Record<string, unknown>;
  dynamicVariables?: Record<string, string>;
  twilio: {
    status?: TwilioCallStatus;
    /** Highest SequenceNumber applied: older callbacks never move the call backwards. */
    lastSequenceNumber?: number;
    statusHistory: TwilioStatusEntry[];
    /** How many times Twilio requested the voice webhook for this call. */
    voiceWebhookCount: number;
    /** Media stream status callbacks (`stream-started`, `stream-stopped`, `stream-error`). */
    streamEvents: { event: string; streamSid?: string; error?: string; receivedAt: string }[];
  };
  retell: {
    events: RetellEventEntry[];
    /** Dedupe keys of stored deliveries (see `retellEventKey`), derived from the stored events. */
    eventKeys: string[];
    callStatus?: string;
    transcript?: string;
    recordingUrl?: string;
    disconnectionReason?: string;
    analysis?: Record<string, unknown>;
    startTimestamp?: number;
    endTimestamp?: number;
    durationMs?: number;
  };
  media?: CallMediaInfo;
  /** Escalations to a person, oldest first; absent when there were none. At most one is open (no `endedAt`). */
  escalations?: EscalationRecord[];
}

/** One escalation of a call to a person (written by the escalation module). */
export interface EscalationRecord {
  readonly id: string;
  /** What asked for it: `custom_function`, `dtmf`, `refer`, `api`, … */
  readonly trigger: string;
  readonly reason?: string;
  /** Where the call goes (E.164 number or SIP URI). */
  readonly target?: string;
  readonly requestedAt: string;
  readonly transferredAt?: string;
  readonly answeredAt?: string;
  readonly endedAt?: string;
  /** How it ended: `answered`, `no_answer`, `busy`, `failed`, `canceled`, … */
  readonly outcome?: string;
}

/** A page of call records, newest first. */
export interface CallPage {
  readonly items: readonly CallRecord[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  readonly nextCursor?: string;
}
