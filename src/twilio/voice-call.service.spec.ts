import { CallStoreUnavailableError } from '../calls/call-store.errors.js';
import { CallsService } from '../calls/calls.service.js';
import { InMemoryCallStore } from '../calls/in-memory-call-store.js';
import { CallLogContext } from '../logging/call-log-context.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RetellRegistrationError } from '../retell/retell-registration.error.js';
import type {
  PhoneCallRegistration,
  RegisteredCall,
  RetellRegistrationService,
} from '../retell/retell-registration.service.js';
import type { MediaStreamPlan } from './media-stream-plan.port.js';
import type { MediaStreamPlanSource } from './media-stream-plan.source.js';
import { resolveTwilioOptions, type TwilioModuleOptions } from './twilio.options.js';
import { TwilioSignatureValidator } from './twilio-signature.validator.js';
import { TwimlFactory } from './twiml.factory.js';
import { VoiceCallService } from './voice-call.service.js';

/** Stands in for Retell: counts registrations, answers after `delayMs`, or fails. */
class FakeRegistration implements Pick<RetellRegistrationService, 'register' | 'sipUri' | 'timeoutMs'> {
  readonly calls: PhoneCallRegistration[] = [];
  readonly timeoutMs = 200;
  delayMs = 0;
  failWith: RetellRegistrationError | undefined;

  sipUri(callId: string): string {
    return `sip:${callId}@sip.retellai.com;transport=tcp`;
  }

  async register(input: PhoneCallRegistration): Promise<RegisteredCall> {
    this.calls.push(input);
    await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failWith) throw this.failWith;
    const callId = `call_${this.calls.length}`;
    return { callId, agentId: 'agent_1', sipUri: this.sipUri(callId) };
  }
}

/** A store whose database is down. */
class DownStore extends InMemoryCallStore {
  override recordVoiceWebhook(): never {
    throw new CallStoreUnavailableError('connect ECONNREFUSED');
  }
  override transition(): never {
    throw new CallStoreUnavailableError('connect ECONNREFUSED');
  }
}

function setup(
  twilioOver: Partial<TwilioModuleOptions> = {},
  store = new InMemoryCallStore(),
  plan: MediaStreamPlan = { kind: 'fork' },
) {
  const twilioOptions = resolveTwilioOptions({
    accountSid: 'AC' + '0'.repeat(32),
    authToken: 'token-token-token',
    publicUrl: 'https://cb.example.com',
    ...twilioOver,
  });
  const calls = new CallsService(store);
  const retell = new FakeRegistration();
  const twiml = new TwimlFactory(twilioOptions, new TwilioSignatureValidator(twilioOptions));
  const metrics = new MetricsService();
  const service = new VoiceCallService(
    calls,
    retell as unknown as RetellRegistrationService,
    twiml,
    { current: plan } as MediaStreamPlanSource,
    metrics,
    new CallLogContext(),
  );
  return { service, calls, retell, metrics };
}

const inbound = { CallSid: 'CA1', From: '+15550001', To: '+15550002', Direction: 'inbound', CallStatus: 'ringing' };

describe(VoiceCallService.name, () => {
  it('registers the call and answers Dial-to-SIP with the fork stream first', async () => {
    const { service, calls, retell } = setup();
    const xml = await service.answer(inbound);
    expect(retell.calls).toHaveLength(1);
    expect(retell.calls[0]).toMatchObject({ callSid: 'CA1', direction: 'inbound', from: '+15550001', to: '+15550002' });
    expect(retell.calls[0]!.dynamicVariables).toMatchObject({ twilio_call_sid: 'CA1', caller_number: '+15550001' });
    expect(xml).toMatch(/<Start><Stream url="wss:\/\/cb\.example\.com\/twilio\/media" track="both_tracks"/);
    expect(xml).toContain('<Parameter name="callSid" value="CA1"/>');
    expect(xml).toContain(
      '<Dial action="https://cb.example.com/twilio/dial-complete" method="POST" answerOnBridge="true">',
    );
    expect(xml).toContain('<Sip>sip:call_1@sip.retellai.com;transport=tcp</Sip>');
    expect(xml.indexOf('<Start>')).toBeLessThan(xml.indexOf('<Dial'));
    expect(await calls.get('CA1')).toMatchObject({ state: 'registered', retellCallId: 'call_1' });
  });

  it('never registers twice for one CallSid, concurrent or sequential repeats', async () => {
    const { service, calls, retell } = setup();
    retell.delayMs = 50;
    const [a, b] = await Promise.all([service.answer(inbound), service.answer(inbound)]);
    const c = await service.answer(inbound);
    expect(retell.calls).toHaveLength(1);
    for (const xml of [a, b, c]) expect(xml).toContain('sip:call_1@');
    expect((await calls.get('CA1'))!.twilio.voiceWebhookCount).toBe(3);
  });

  it('asks Twilio to come back when another instance holds the registration lease, and registers nothing', async () => {
    const { service, calls, retell } = setup();
    await calls.open({ callSid: 'CA1', direction: 'inbound', from: '+15550001', to: '+15550002' });
    expect((await calls.claimRegistration('CA1', 60_000)).outcome).toBe('claimed');
    const xml = await service.answer(inbound);
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Pause length="1"/>' +
        '<Redirect method="POST">https://cb.example.com/twilio/voice</Redirect></Response>',
    );
    expect(retell.calls).toHaveLength(0);
    // The holder finished: the repeat Twilio sends after the redirect dials its call.
    await calls.completeRegistration('CA1', { retellCallId: 'call_other' });
    expect(await service.answer(inbound)).toContain('<Sip>sip:call_other@');
    expect(retell.calls).toHaveLength(0);
  });

  it('still answers the caller with the fallback when the call store is down', async () => {
    const { service, retell, metrics } = setup({ fallbackNumber: '+15559999' }, new DownStore());
    const xml = await service.answer(inbound);
    expect(xml).toContain('<Dial>+15559999</Dial>');
    expect(retell.calls).toHaveLength(0);
    expect(await metrics.registry.metrics()).toContain('callbridge_fallbacks_total{reason="store_unavailable"} 1');
    expect(await service.dialComplete({ CallSid: 'CA1', DialCallStatus: 'failed' })).toContain(
      '<Dial>+15559999</Dial>',
    );
  });

  it('answers the fallback, records why and counts it once when Retell fails', async () => {
    const { service, calls, retell, metrics } = setup({
      fallbackNumber: '+15559999',
      fallbackMessage: 'One moment & please hold',
    });
    retell.failWith = new RetellRegistrationError('retell_unreachable', 'ECONNREFUSED');
    const xml = await service.answer(inbound);
    expect(xml).toContain('<Say>One moment &amp; please hold</Say>');
    expect(xml).toContain('<Dial>+15559999</Dial>');
    expect(xml).not.toContain('<Sip>');
    expect(await calls.get('CA1')).toMatchObject({ state: 'fallback', stateReason: 'retell_unreachable' });
    // A repeat of the webhook does not try Retell again: the call already went to fallback.
    await service.answer(inbound);
    expect(retell.calls).toHaveLength(1);
    expect(await metrics.registry.metrics()).toContain('callbridge_fallbacks_total{reason="retell_unreachable"} 1');
  });

  it('hangs up after the fallback message when no number is configured', async () => {
    const { service, retell } = setup();
    retell.failWith = new RetellRegistrationError('retell_timeout', 'slow');
    expect(await service.answer(inbound)).toMatch(/<Say>.+<\/Say><Hangup\/>/);
  });

  it('a connect plan (relay mode) connects the stream and does not register with Retell', async () => {
    const { service, retell } = setup({}, undefined, { kind: 'connect' });
    const xml = await service.answer(inbound);
    expect(xml).toMatch(/<Connect><Stream url="wss:\/\/cb\.example\.com\/twilio\/media"/);
    expect(retell.calls).toHaveLength(0);
  });

  it('without a stream plan (no media module, or MEDIA_MODE=off) dials the agent with no stream', async () => {
    const { service, retell } = setup({}, undefined, { kind: 'none' });
    const xml = await service.answer(inbound);
    expect(retell.calls).toHaveLength(1);
    expect(xml).not.toContain('<Stream');
    expect(xml).toContain('<Sip>sip:call_1@sip.retellai.com;transport=tcp</Sip>');
  });

  it('sends a failed agent leg to the fallback, and hangs up after a completed one', async () => {
    const { service, calls } = setup();
    await service.answer(inbound);
    expect(await service.dialComplete({ CallSid: 'CA1', DialCallStatus: 'completed' })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>',
    );
    expect(await service.dialComplete({ CallSid: 'CA1', DialCallStatus: 'busy' })).toContain('<Say>');
    expect(await calls.get('CA1')).toMatchObject({ state: 'fallback', stateReason: 'dial_busy' });
  });
});
