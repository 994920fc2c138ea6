import { Injectable, Logger } from '@nestjs/common';
import type { CallRecord } from '../calls/call-record.js';
import { transition } from '../calls/call-state.js';
import { CallsService } from '../calls/calls.service.js';
import { CallLogContext } from '../logging/call-log-context.js';
import { retellEventKey, type RetellWebhookEvent } from '../protocol/retell-events.js';

/** Bound on stored event entries per call: a misbehaving sender cannot grow a record without limit. */
const MAX_EVENTS_PER_CALL = 100;

/** What happened to one webhook delivery. */
export type RetellEventOutcome = 'stored' | 'duplicate' | 'unknown_call';

/**
 * Writes Retell webhook events onto the call record, once each: a retried delivery (same event and call) is
 * recognised inside the same atomic update that would store it.
 */
@Injectable()
export class RetellEventsService {
  private readonly logger = new Logger(RetellEventsService.name);

  constructor(
    private readonly calls: CallsService,
    private readonly logContext: CallLogContext,
  ) {}

  async apply(event: RetellWebhookEvent): Promise<RetellEventOutcome> {
    const callSid = await this.resolveCallSid(event);
    if (!callSid) {
      this.logger.warn({
        msg: 'retell event for an unknown call',
        event: event.event,
        retellCallId: event.call.call_id,
      });
      return 'unknown_call';
    }
    this.logContext.assign({ callSid, retellCallId: event.call.call_id });
    const key = retellEventKey(event);
    let outcome: RetellEventOutcome = 'stored';
    await this.calls.update(callSid, (draft) => {
      if (key && draft.retell.eventKeys.includes(key)) {
        outcome = 'duplicate';
        return false;
      }
      if (key) draft.retell.eventKeys.push(key);
      if (draft.retell.events.length < MAX_EVENTS_PER_CALL) {
        draft.retell.events.push({ event: event.event, receivedAt: new Date().toISOString() });
      }
      applyEvent(draft, event);
      return true;
    });
    this.logger.log({ msg: `retell ${event.event}`, outcome });
    return outcome;
  }

  /** Our CallSid travels in the registration metadata; fall back to the call_id index. */
  private async resolveCallSid(event: RetellWebhookEvent): Promise<string | undefined> {
    const metadata = event.call.metadata;
    const fromMetadata =
      typeof metadata === 'object' && metadata !== null
        ? (metadata as Record<string, unknown>)['twilio_call_sid']
        : undefined;
    if (typeof fromMetadata === 'string' && (await this.calls.get(fromMetadata))) return fromMetadata;
    return (await this.calls.findByRetellCallId(event.call.call_id))?.callSid;
  }
}

/** The record changes one event makes. Later events never undo earlier facts (`ended` stays ended). */
function applyEvent(draft: CallRecord, event: RetellWebhookEvent): void {
  const call = event.call;
  const r = draft.retell;
  draft.retellCallId ??= call.call_id;
  if (call.call_status) r.callStatus = call.call_status;
  if (call.start_timestamp !== undefined) r.startTimestamp = call.start_timestamp;
  if (call.end_timestamp !== undefined) r.endTimestamp = call.end_timestamp;
  if (call.duration_ms !== undefined) r.durationMs = call.duration_ms;
  // transcript_updated is cumulative: the latest delivery replaces the previous one.
  if (call.transcript !== undefined) r.transcript = call.transcript;
  if (call.recording_url !== undefined) r.recordingUrl = call.recording_url;
  if (call.disconnection_reason !== undefined) r.disconnectionReason = call.disconnection_reason;
  if (call.call_analysis !== undefined) r.analysis = call.call_analysis;
  if (event.event === 'call_started') transition(draft, 'connected');
}
