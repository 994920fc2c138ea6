import type { TwilioCallStatus } from '../protocol/twilio-webhooks.js';
import type {
  CallDirection,
  CallMediaInfo,
  CallPage,
  CallRecord,
  CallState,
  ConversationAnalytics,
  EscalationRecord,
} from './call-record.js';

/** Injection token of the {@link CallStore}. */
export const CALL_STORE = Symbol('CALL_STORE');

/** What opens a call record. */
export interface NewCall {
  readonly callSid: string;
  readonly direction: CallDirection;
  readonly from: string;
  readonly to: string;
  readonly agentId?: string;
  readonly metadata?: Record<string, unknown>;
  readonly dynamicVariables?: Record<string, string>;
}

/** The call's own row: what the operations return, without the histories `get` assembles. */
export interface CallSummary {
  readonly callSid: string;
  readonly direction: CallDirection;
  readonly from: string;
  readonly to: string;
  readonly state: CallState;
  readonly stateReason?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly retellCallId?: string;
  readonly agentId?: string;
  readonly metadata?: Record<string, unknown>;
  readonly dynamicVariables?: Record<string, string>;
  readonly voiceWebhookCount: number;
  readonly twilioStatus?: TwilioCallStatus;
}

/** Result of {@link CallStore.claimRegistration}. */
export type RegistrationClaim =
  /** This caller holds the lease: register with Retell, then complete or fail the registration. */
  | { readonly outcome: 'claimed'; readonly call: CallSummary }
  /** Already registered: dial this call_id. */
  | { readonly outcome: 'registered'; readonly retellCallId: string }
  /** Another webhook (this instance or another) holds an unexpired lease. */
  | { readonly outcome: 'held'; readonly until: string }
  /** The call went to fallback or ended: nothing to register. */
  | { readonly outcome: 'closed'; readonly state: CallState; readonly reason?: string }
  | { readonly outcome: 'not_found' };

/** One Twilio status callback, as {@link CallStore.applyStatus} takes it. */
export interface StatusCallback {
  readonly status: TwilioCallStatus;
  readonly sequenceNumber?: number;
  readonly callDuration?: number;
  readonly sipResponseCode?: number;
}

/**
 * `applied`: the newest status so far (moved the call); `stale`: kept in the history, changed nothing (older than
 * one applied, or after a terminal one); `duplicate`: this (CallSid, SequenceNumber) was stored before.
 */
export type StatusOutcome = 'applied' | 'stale' | 'duplicate' | 'not_found';

/** Facts a Retell event carries about the call; absent ones leave what is stored. */
export interface RetellFacts {
  readonly callStatus?: string;
  readonly recordingUrl?: string;
  readonly disconnectionReason?: string;
  readonly analysis?: Record<string, unknown>;
  readonly startTimestamp?: number;
  readonly endTimestamp?: number;
  readonly durationMs?: number;
}

/** One Retell webhook delivery, as {@link CallStore.recordRetellEvent} takes it. */
export interface RetellEventInput {
  readonly event: string;
  /**
   * The event's own time or position: with (call, event) the unique key of the delivery, so a retry is recognised.
   * Empty for events that happen once per call.
   */
  readonly occurrence: string;
  readonly retellCallId: string;
  /** The delivery's body, kept with the event (omit for bulky cumulative ones such as transcript updates). */
  readonly payload?: unknown;
  readonly facts: RetellFacts;
  /** The cumulative transcript: the longest one stored wins, so a late older delivery cannot shorten it. */
  readonly transcript?: { readonly text: string; readonly turns?: unknown };
  /** Move the call to `connected` (Retell's `call_started`). */
  readonly connects?: boolean;
}

export type RetellEventOutcome = 'stored' | 'duplicate' | 'not_found';

/** A media stream being attached to its call. */
export interface MediaStreamInput {
  readonly streamSid: string;
  readonly mode: CallMediaInfo['mode'];
  readonly tracks: readonly string[];
  readonly frames: CallMediaInfo['frames'];
  readonly dropped: CallMediaInfo['dropped'];
  readonly relay?: CallMediaInfo['relay'];
}

/** Live figures of an attached stream; absent fields are left as stored. */
export interface MediaPatch {
  readonly frames?: CallMediaInfo['frames'];
  readonly dropped?: CallMediaInfo['dropped'];
  readonly analytics?: ConversationAnalytics;
  readonly relay?: CallMediaInfo['relay'];
}

/** What asks for an escalation. */
export interface EscalationRequest {
  readonly trigger: string;
  readonly reason?: string;
  readonly target?: string;
}

/** Progress of an escalation. Each time is set once (a repeat cannot rewrite it); `endedAt` closes it. */
export interface EscalationPatch {
  readonly target?: string;
  readonly transferredAt?: string;
  readonly answeredAt?: string;
  readonly endedAt?: string;
  readonly outcome?: string;
}

/** Result of {@link CallStore.claimEscalation}. */
export type EscalationClaim =
  | { readonly outcome: 'claimed'; readonly escalation: EscalationRecord }
  /** One is open already (at most one per call at a time). */
  | { readonly outcome: 'open'; readonly escalation: EscalationRecord }
  | { readonly outcome: 'not_found' };

/** A stored idempotency key (e.g. `POST /calls` with `Idempotency-Key`). */
export interface IdempotencyEntry {
  readonly scope: string;
  readonly key: string;
  /** Hash of the request that first used the key: the same key with another request is a client error. */
  readonly requestHash: string;
  readonly createdAt: string;
  /** Set once the first request finished; until then a repeat is still in flight. */
  readonly completedAt?: string;
  readonly response?: { readonly status: number; readonly body: unknown };
}

/** Result of {@link CallStore.beginIdempotent}. */
export type IdempotencyBegin =
  { readonly outcome: 'started' } | { readonly outcome: 'exists'; readonly entry: IdempotencyEntry };

/** Query of {@link CallStore.list}: newest first, keyset-paged, filters combined with AND. */
export interface CallListQuery {
  readonly limit: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
  readonly from?: string;
  readonly to?: string;
  readonly state?: CallState;
  /** Created at or after (ISO 8601). */
  readonly since?: string;
  /** Created before (ISO 8601). */
  readonly until?: string;
}

/**
 * Persistence of calls, as one operation per thing that happens to a call. Each operation is one statement (or one
 * short transaction) in SQL and atomic in every adapter, so several instances sharing one database decide "first or
 * repeat", "who registers" and "newest status" correctly without locks held across network calls.
 *
 * Adapters: in memory, SQLite and PostgreSQL (`CallsModule.forRoot({ databaseUrl })`); one contract spec runs the
 * same cases against each. An adapter throws {@link CallStoreUnavailableError} when its database cannot be reached.
 */
export interface CallStore {
  /**
   * Creates the record unless one exists for the CallSid (`created` tells the first caller from repeats). On a repeat,
   * `agentId`, `metadata` and `dynamicVariables` the stored record lacks are filled from `call`; nothing is overwritten.
   */
  open(call: NewCall): Promise<{ readonly created: boolean; readonly call: CallSummary }>;

  /** A voice webhook arrived: opens the record if needed and counts the request, in one statement. */
  recordVoiceWebhook(call: NewCall): Promise<CallSummary>;

  summary(callSid: string): Promise<CallSummary | undefined>;

  /** The whole record, assembled from the call and its histories. */
  get(callSid: string): Promise<CallRecord | undefined>;

  findByRetellCallId(retellCallId: string): Promise<CallSummary | undefined>;

  /**
   * Takes the lease to register the call with Retell for `leaseMs`, unless the call is registered, closed, or leased
   * to someone else. A lease that ran out (its holder died) can be taken over.
   */
  claimRegistration(callSid: string, leaseMs: number): Promise<RegistrationClaim>;

  /** Stores Retell's call_id, releases the lease and moves the call to `registered`. False when no such call. */
  completeRegistration(
    callSid: string,
    registered: { readonly retellCallId: string; readonly agentId?: string },
  ): Promise<boolean>;

  /** Moves the call to `to` unless that goes backwards (see `call-state.ts`); `reason` is kept. True when it moved. */
  transition(callSid: string, to: CallState, reason?: string): Promise<boolean>;

  /**
   * Stores a Twilio status callback, unique on (CallSid, SequenceNumber), and applies it when it is newer than every
   * status applied so far (by sequence number; by status order without one) and the call's status is not terminal.
   * A terminal status ends (or fails) the call.
   */
  applyStatus(callSid: string, callback: StatusCallback): Promise<StatusOutcome>;

  /** Stores a media stream status callback (`stream-started|stream-stopped|stream-error`). False when no such call. */
  recordStreamEvent(
    callSid: string,
    event: { readonly event: string; readonly streamSid?: string; readonly error?: string },
  ): Promise<boolean>;

  /** Stores a Retell event once, unique on (call, event, occurrence), and applies its facts when it is new. */
  recordRetellEvent(callSid: string, event: RetellEventInput): Promise<RetellEventOutcome>;

  /**
   * Attaches a media stream to the call: one per call, so this fails (false) while another stream is attached and
   * not yet detached. Re-attaching the same stream is a no-op that succeeds.
   */
  attachMedia(callSid: string, stream: MediaStreamInput): Promise<boolean>;

  /** Updates the live figures of the attached stream `streamSid`; false when it is not the attached one. */
  patchAnalytics(callSid: string, streamSid: string, patch: MediaPatch): Promise<boolean>;

  /** Writes the final figures and marks the stream ended; false when it is not attached (or ended already). */
  detachMedia(callSid: string, streamSid: string, patch: MediaPatch): Promise<boolean>;

  /** Opens an escalation unless one is open for the call (then returns that one). */
  claimEscalation(callSid: string, request: EscalationRequest): Promise<EscalationClaim>;

  /** Records an escalation's progress; undefined when there is no such escalation on the call. */
  updateEscalation(callSid: string, id: string, patch: EscalationPatch): Promise<EscalationRecord | undefined>;

  /** Stores `key` for `scope` unless it exists; returns the stored entry when it does. */
  beginIdempotent(scope: string, key: string, requestHash: string): Promise<IdempotencyBegin>;

  /** Stores the response of the request that began `key`. False when there is no such pending key. */
  completeIdempotent(
    scope: string,
    key: string,
    response: { readonly status: number; readonly body: unknown },
  ): Promise<boolean>;

  /** Drops a pending key whose request failed, so a retry can begin again. Completed keys stay. */
  abandonIdempotent(scope: string, key: string): Promise<boolean>;

  lookupIdempotent(scope: string, key: string): Promise<IdempotencyEntry | undefined>;

  /** Newest first, filtered, keyset-paged. */
  list(query: CallListQuery): Promise<CallPage>;

  /** Resolves when the database answers; throws {@link CallStoreUnavailableError} when it does not. */
  ping(): Promise<void>;

  /** Releases the database (connections, file handles). */
  close(): Promise<void>;
}
