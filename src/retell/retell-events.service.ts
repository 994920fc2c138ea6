import { Injectable, Logger } from '@nestjs/common';
import type { RetellEventInput, RetellFacts } from '../calls/call-store.interface.js';
import { CallsService } from '../calls/calls.service.js';
import { CallLogContext } from '../logging/call-log-context.js';
import { retellEventOccurrence, type RetellWebhookEvent } from '../protocol/retell-events.js';

/** What happened to one webhook delivery. */
export type RetellEventOutcome = 'stored' | 'duplicate' | 'unknown_call';

/**
 * Stores Retell webhook events on their call, once each: the store keeps a delivery unique on (call, event, the
 * event's occurrence) and applies its facts in the same transaction, so a retry, or the same delivery reaching two
 * instances, is recognised there.
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
    const stored = await this.calls.recordRetellEvent(callSid, toEventInput(event));
    const outcome: RetellEventOutcome = stored === 'not_found' ? 'unknown_call' : stored;
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
    if (typeof fromMetadata === 'string' && (await this.calls.summary(fromMetadata))) return fromMetadata;
    return (await this.calls.findByRetellCallId(event.call.call_id))?.callSid;
  }
}

/**
 * What one event stores. Later events never undo earlier facts: `call_started` connects a call only if it has not
 * moved past that, and a shorter (older) cumulative transcript never replaces a longer one.
 */
function toEventInput(event: RetellWebhookEvent): RetellEventInput {
  const call = event.call;
  const facts: RetellFacts = {
    callStatus: call.call_status,
    startTimestamp: call.start_timestamp,
    endTimestamp: call.end_timestamp,
    durationMs: call.duration_ms,
    recordingUrl: call.recording_url,
    disconnectionReason: call.disconnection_reason,
    analysis: call.call_analysis,
  };
  const turns = (call as Record<string, unknown>)['transcript_object'];
  const cumulative = event.event === 'transcript_updated';
  return {
    event: event.event,
    occurrence: retellEventOccurrence(event),
    retellCallId: call.call_id,
    // A transcript update repeats the whole transcript so far: it is kept once, as the call's latest transcript.
    payload: cumulative ? undefined : event,
    facts,
    transcript:
      call.transcript !== undefined
        ? { text: call.transcript, turns: Array.isArray(turns) ? turns : undefined }
        : undefined,
    connects: event.event === 'call_started',
  };
}
