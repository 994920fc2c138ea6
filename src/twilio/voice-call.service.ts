import { BadRequestException, Injectable, Logger } from '@nestjs/common';
import { CallStoreUnavailableError } from '../calls/call-store.errors.js';
import type { CallSummary } from '../calls/call-store.interface.js';
import { CallsService } from '../calls/calls.service.js';
import { CallLogContext } from '../logging/call-log-context.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { DialCompleteParams, TwilioParams } from '../protocol/twilio-webhooks.js';
import { RetellRegistrationError } from '../retell/retell-registration.error.js';
import { RetellRegistrationService } from '../retell/retell-registration.service.js';
import { MediaStreamPlanSource } from './media-stream-plan.source.js';
import { TwimlFactory, type StreamParameters } from './twiml.factory.js';

/** Outcome of getting a Retell call_id for a Twilio call; `retry`: another instance is registering it right now. */
type Registration =
  | { readonly ok: true; readonly callId: string }
  | { readonly ok: false; readonly reason: string }
  | { readonly ok: false; readonly retry: true };

/** Margin of the registration lease over the registration's own deadline. */
const LEASE_MARGIN_MS = 1000;

/**
 * The voice webhook's logic: one Retell registration per Twilio call, whatever Twilio repeats, and TwiML in time.
 *
 * Repeats of the webhook for one CallSid are common (Twilio retries; redirects re-request it). Within this process a
 * repeat joins the registration in flight; across instances the store's registration lease decides who registers
 * (`claimRegistration`), and a repeat that finds the lease held answers a short pause and a redirect to this webhook,
 * so Twilio asks again once the holder is done, instead of this instance polling the store.
 *
 * When the store cannot be reached the caller still gets the fallback TwiML: a voice webhook answers the call, and an
 * error would only make Twilio play its own error message.
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
    try {
      const call = await this.calls.recordVoiceWebhook({
        callSid,
        direction,
        from: params.From ?? '',
        to: params.To ?? '',
      });
      this.logger.log({ msg: 'voice webhook', direction, repeat: call.voiceWebhookCount > 1 });

      const plan = this.streamPlan.current;
      if (plan.kind === 'connect') return this.twiml.connectStream(this.streamParameters(call));

      const registration = await this.registerOnce(call);
      if ('retry' in registration) return this.twiml.retryVoice();
      if (!registration.ok) return this.twiml.fallback();
      const sipUri = this.retell.sipUri(registration.callId);
      return this.twiml.dialAgent(sipUri, plan, this.streamParameters({ ...call, retellCallId: registration.callId }));
    } catch (err) {
      if (!(err instanceof CallStoreUnavailableError)) throw err;
      this.logger.error({ msg: 'call store unavailable: answering with fallback', error: err.detail });
      // Nothing records it, so a repeat of the webhook counts again.
      this.metrics.fallbacks.inc({ reason: 'store_unavailable' });
      return this.twiml.fallback();
    }
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
    try {
      await this.toFallback(p.CallSid, `dial_${status}`);
    } catch (err) {
      if (!(err instanceof CallStoreUnavailableError)) throw err;
      this.logger.error({ msg: 'call store unavailable: fallback not recorded', error: err.detail });
    }
    return this.twiml.fallback();
  }

  private streamParameters(record: Pick<CallSummary, 'callSid' | 'direction' | 'retellCallId'>): StreamParameters {
    return {
      callSid: record.callSid,
      direction: record.direction,
      ...(record.retellCallId ? { retellCallId: record.retellCallId } : {}),
    };
  }

  private registerOnce(call: CallSummary): Promise<Registration> {
    const pending = this.inflight.get(call.callSid);
    if (pending) return pending;
    const p = this.claimAndRegister(call).finally(() => this.inflight.delete(call.callSid));
    this.inflight.set(call.callSid, p);
    return p;
  }

  private async claimAndRegister(call: CallSummary): Promise<Registration> {
    // The lease outlives the registration's own deadline: a holder that died is replaced once it runs out.
    const claim = await this.calls.claimRegistration(call.callSid, this.retell.timeoutMs + LEASE_MARGIN_MS);
    switch (claim.outcome) {
      case 'claimed':
        return this.register(claim.call);
      case 'registered':
        this.logger.log({ msg: 'reusing registered retell call', retellCallId: claim.retellCallId });
        return { ok: true, callId: claim.retellCallId };
      case 'closed':
        return { ok: false, reason: claim.reason ?? claim.state };
      case 'held':
        this.logger.log({ msg: 'registration in progress elsewhere: asking Twilio to come back', until: claim.until });
        return { ok: false, retry: true };
      case 'not_found':
        return { ok: false, reason: 'call_not_found' };
    }
  }

  private async register(record: CallSummary): Promise<Registration> {
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
      await this.calls.completeRegistration(record.callSid, {
        retellCallId: registered.callId,
        agentId: registered.agentId,
      });
      return { ok: true, callId: registered.callId };
    } catch (err) {
      if (err instanceof CallStoreUnavailableError) throw err;
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
    if (await this.calls.transition(callSid, 'fallback', reason)) this.metrics.fallbacks.inc({ reason });
  }
}
