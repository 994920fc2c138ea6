import { BadRequestException, Injectable, Logger } from '@nestjs/common';
import type { CallRecord } from '../calls/call-record.js';
import { FINAL_STATES, transition } from '../calls/call-state.js';
import { CallsService } from '../calls/calls.service.js';
import { CallLogContext } from '../logging/call-log-context.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { DialCompleteParams, TwilioParams } from '../protocol/twilio-webhooks.js';
import { RetellRegistrationError } from '../retell/retell-registration.error.js';
import { RetellRegistrationService } from '../retell/retell-registration.service.js';
import { MediaStreamPlanSource } from './media-stream-plan.source.js';
import { TwimlFactory, type StreamParameters } from './twiml.factory.js';

/** Outcome of getting a Retell call_id for a Twilio call. */
type Registration = { readonly ok: true; readonly callId: string } | { readonly ok: false; readonly reason: string };

/** How often a repeat webhook looks whether another instance finished registering the call. */
const CLAIM_POLL_MS = 50;

/**
 * The voice webhook's logic: one Retell registration per Twilio call, whatever Twilio repeats, and TwiML in time.
 *
 * Repeats of the webhook for one CallSid are common (Twilio retries; redirects re-request it). Within this process a
 * repeat joins the registration in flight; across instances the record's `registrationStartedAt` is the claim, taken
 * inside an atomic store update, and a repeat that loses polls the record until the winner is done.
 */
@Injectable()
export class VoiceCallService {
  private readonly logger = new Logger(VoiceCallService.name);
  private readonly inflight = new Map<string, Promise<Registration>>();

  constructor(
    private readonly calls: CallsService,
    private readonly retell: RetellRegistrationService,
    private readonly twiml: TwimlFactory,
    private readonly streamPlan: MediaStreamPlanSource,
    private readonly metrics: MetricsService,
    private readonly logContext: CallLogContext,
  ) {}

  /** Answers `POST /twilio/voice` with TwiML. */
  async answer(params: TwilioParams): Promise<string> {
    const callSid = params.CallSid;
    if (!callSid) throw new BadRequestException({ error: 'missing_call_sid', message: 'CallSid is required' });
    this.logContext.assign({ callSid });
    const direction = params.Direction?.startsWith('outbound') ? 'outbound' : 'inbound';
    await this.calls.open({ callSid, direction, from: params.From ?? '', to: params.To ?? '' });
    const record = await this.calls.update(callSid, (d) => {
      d.twilio.voiceWebhookCount += 1;
    });
    if (!record) throw new Error(`call ${callSid} vanished from the store`);
    this.logger.log({ msg: 'voice webhook', direction, repeat: record.twilio.voiceWebhookCount > 1 });

    const plan = this.streamPlan.current;
    if (plan.kind === 'connect') return this.twiml.connectStream(this.streamParameters(record));

    const registration = await this.registerOnce(record);
    if (!registration.ok) return this.twiml.fallback();
    const sipUri = this.retell.sipUri(registration.callId);
    return this.twiml.dialAgent(sipUri, plan, this.streamParameters({ ...record, retellCallId: registration.callId }));
  }

  /** Answers the `<Dial action>` callback: the Retell leg is over. */
  async dialComplete(params: TwilioParams): Promise<string> {
    const p = params as unknown as DialCompleteParams;
    if (!p.CallSid) throw new BadRequestException({ error: 'missing_call_sid', message: 'CallSid is required' });
    this.logContext.assign({ callSid: p.CallSid });
    const status = p.DialCallStatus ?? 'failed';
    this.logger.log({ msg: 'agent leg ended', dialCallStatus: status, sipResponseCode: p.DialSipResponseCode });
    if (status === 'completed' || status === 'answered') return this.twiml.hangup();
    // The agent never answered (or Retell refused the SIP call): the caller still gets a person or a message.
    await this.toFallback(p.CallSid, `dial_${status}`);
    return this.twiml.fallback();
  }

  private streamParameters(record: Pick<CallRecord, 'callSid' | 'direction' | 'retellCallId'>): StreamParameters {
    return {
      callSid: record.callSid,
      direction: record.direction,
      ...(record.retellCallId ? { retellCallId: record.retellCallId } : {}),
    };
  }

  private registerOnce(record: CallRecord): Promise<Registration> {
    const pending = this.inflight.get(record.callSid);
    if (pending) return pending;
    const p = this.claimAndRegister(record).finally(() => this.inflight.delete(record.callSid));
    this.inflight.set(record.callSid, p);
    return p;
  }

  private async claimAndRegister(record: CallRecord): Promise<Registration> {
    const deadline = Date.now() + this.retell.timeoutMs + 500;
    for (;;) {
      let claimed = false;
      const current = await this.calls.update(record.callSid, (d) => {
        if (d.retellCallId || d.state === 'fallback' || FINAL_STATES.has(d.state)) return false;
        const claimAge = d.registrationStartedAt ? Date.now() - Date.parse(d.registrationStartedAt) : Infinity;
        // A claim older than the registration deadline belongs to an instance that died: take it over.
        if (claimAge <= this.retell.timeoutMs + 1000) return false;
        d.registrationStartedAt = new Date().toISOString();
        claimed = true;
      });
      if (!current) return { ok: false, reason: 'call_not_found' };
      if (current.retellCallId) {
        this.logger.log({ msg: 'reusing registered retell call', retellCallId: current.retellCallId });
        return { ok: true, callId: current.retellCallId };
      }
      if (current.state === 'fallback' || FINAL_STATES.has(current.state)) {
        return { ok: false, reason: current.stateReason ?? current.state };
      }
      if (claimed) return this.register(current);
      if (Date.now() > deadline) return { ok: false, reason: 'retell_timeout' };
      await new Promise((r) => setTimeout(r, CLAIM_POLL_MS));
    }
  }

  private async register(record: CallRecord): Promise<Registration> {
    try {
      const registered = await this.retell.register({
        callSid: record.callSid,
        direction: record.direction,
        from: record.from,
        to: record.to,
        agentId: record.agentId,
        metadata: record.metadata,
        dynamicVariables: {
          caller_number: record.from,
          called_number: record.to,
          call_direction: record.direction,
          twilio_call_sid: record.callSid,
          ...record.dynamicVariables,
        },
      });
      this.logContext.assign({ retellCallId: registered.callId });
      await this.calls.update(record.callSid, (d) => {
        d.retellCallId = registered.callId;
        d.agentId = registered.agentId;
        transition(d, 'registered');
      });
      return { ok: true, callId: registered.callId };
    } catch (err) {
      const reason = err instanceof RetellRegistrationError ? err.reason : 'retell_error';
      this.logger.warn({
        msg: 'retell registration failed: answering with fallback',
        reason,
        error: (err as Error).message,
      });
      await this.toFallback(record.callSid, reason);
      return { ok: false, reason };
    }
  }

  /** Moves the call to `fallback` and counts it, once per call whatever repeats. */
  private async toFallback(callSid: string, reason: string): Promise<void> {
    let moved = false;
    await this.calls.update(callSid, (d) => (moved = transition(d, 'fallback', reason)));
    if (moved) this.metrics.fallbacks.inc({ reason });
  }
}
