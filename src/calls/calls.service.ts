import { Inject, Injectable } from '@nestjs/common';
import type { CallPage, CallRecord, CallState, EscalationRecord } from './call-record.js';
import {
  CALL_STORE,
  type CallListQuery,
  type CallStore,
  type CallSummary,
  type EscalationClaim,
  type EscalationPatch,
  type EscalationRequest,
  type IdempotencyBegin,
  type IdempotencyEntry,
  type MediaPatch,
  type MediaStreamInput,
  type NewCall,
  type RegistrationClaim,
  type RetellEventInput,
  type RetellEventOutcome,
  type StatusCallback,
  type StatusOutcome,
} from './call-store.interface.js';

/** Input of {@link CallsService.open}. */
export type OpenCallInput = NewCall;

/**
 * What every module does to a call, one operation per thing that happens (see {@link CallStore}): each is atomic in
 * the store, so repeats and races between webhooks, and between instances sharing a database, are decided there.
 * Operations throw `CallStoreUnavailableError` (an HTTP 503) when the database cannot be reached.
 */
@Injectable()
export class CallsService {
  constructor(@Inject(CALL_STORE) private readonly store: CallStore) {}

  /** Creates the record unless it exists; `created` tells the first caller apart from repeats. */
  open(input: OpenCallInput): Promise<{ created: boolean; call: CallSummary }> {
    return this.store.open(input);
  }

  /** Opens the call if needed and counts a voice webhook; `voiceWebhookCount > 1` is a repeat. */
  recordVoiceWebhook(input: OpenCallInput): Promise<CallSummary> {
    return this.store.recordVoiceWebhook(input);
  }

  get(callSid: string): Promise<CallRecord | undefined> {
    return this.store.get(callSid);
  }

  summary(callSid: string): Promise<CallSummary | undefined> {
    return this.store.summary(callSid);
  }

  findByRetellCallId(retellCallId: string): Promise<CallSummary | undefined> {
    return this.store.findByRetellCallId(retellCallId);
  }

  list(query: CallListQuery): Promise<CallPage> {
    return this.store.list(query);
  }

  /** Moves the call to `to` unless that would go backwards; `reason` says why (kept on the record). */
  transition(callSid: string, to: CallState, reason?: string): Promise<boolean> {
    return this.store.transition(callSid, to, reason);
  }

  claimRegistration(callSid: string, leaseMs: number): Promise<RegistrationClaim> {
    return this.store.claimRegistration(callSid, leaseMs);
  }

  completeRegistration(callSid: string, registered: { retellCallId: string; agentId?: string }): Promise<boolean> {
    return this.store.completeRegistration(callSid, registered);
  }

  applyStatus(callSid: string, callback: StatusCallback): Promise<StatusOutcome> {
    return this.store.applyStatus(callSid, callback);
  }

  recordStreamEvent(callSid: string, event: { event: string; streamSid?: string; error?: string }): Promise<boolean> {
    return this.store.recordStreamEvent(callSid, event);
  }

  recordRetellEvent(callSid: string, event: RetellEventInput): Promise<RetellEventOutcome> {
    return this.store.recordRetellEvent(callSid, event);
  }

  attachMedia(callSid: string, stream: MediaStreamInput): Promise<boolean> {
    return this.store.attachMedia(callSid, stream);
  }

  patchAnalytics(callSid: string, streamSid: string, patch: MediaPatch): Promise<boolean> {
    return this.store.patchAnalytics(callSid, streamSid, patch);
  }

  detachMedia(callSid: string, streamSid: string, patch: MediaPatch): Promise<boolean> {
    return this.store.detachMedia(callSid, streamSid, patch);
  }

  claimEscalation(callSid: string, request: EscalationRequest): Promise<EscalationClaim> {
    return this.store.claimEscalation(callSid, request);
  }

  updateEscalation(callSid: string, id: string, patch: EscalationPatch): Promise<EscalationRecord | undefined> {
    return this.store.updateEscalation(callSid, id, patch);
  }

  beginIdempotent(scope: string, key: string, requestHash: string): Promise<IdempotencyBegin> {
    return this.store.beginIdempotent(scope, key, requestHash);
  }

  completeIdempotent(scope: string, key: string, response: { status: number; body: unknown }): Promise<boolean> {
    return this.store.completeIdempotent(scope, key, response);
  }

  abandonIdempotent(scope: string, key: string): Promise<boolean> {
    return this.store.abandonIdempotent(scope, key);
  }

  lookupIdempotent(scope: string, key: string): Promise<IdempotencyEntry | undefined> {
    return this.store.lookupIdempotent(scope, key);
  }

  /** Resolves when the store answers (readiness). */
  ping(): Promise<void> {
    return this.store.ping();
  }
}
