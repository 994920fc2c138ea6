import { CallsService } from '../calls/calls.service.js';
import { InMemoryCallStore } from '../calls/in-memory-call-store.js';
import { CallLogContext } from '../logging/call-log-context.js';
import { RetellWebhookSchema } from '../protocol/retell-events.js';
import { RetellEventsService } from './retell-events.service.js';

const event = (name: string, call: Record<string, unknown> = {}) =>
  RetellWebhookSchema.parse({
    event: name,
    call: { call_id: 'call_1', metadata: { twilio_call_sid: 'CA1' }, ...call },
  });

async function setup() {
  const calls = new CallsService(new InMemoryCallStore());
  await calls.open({ callSid: 'CA1', direction: 'inbound', from: 'a', to: 'b' });
  await calls.completeRegistration('CA1', { retellCallId: 'call_1' });
  return { calls, service: new RetellEventsService(calls, new CallLogContext()) };
}

describe(RetellEventsService.name, () => {
  it('stores a retried delivery once', async () => {
    const { calls, service } = await setup();
    expect(await service.apply(event('call_started'))).toBe('stored');
    expect(await service.apply(event('call_started'))).toBe('duplicate');
    expect(await service.apply(event('call_started'))).toBe('duplicate');
    const r = (await calls.get('CA1'))!;
    expect(r.retell.events.map((e) => e.event)).toEqual(['call_started']);
    expect(r.state).toBe('connected');
  });

  it('keeps the latest cumulative transcript and the end-of-call facts', async () => {
    const { calls, service } = await setup();
    await service.apply(event('transcript_updated', { transcript: 'Agent: Hi' }));
    await service.apply(event('transcript_updated', { transcript: 'Agent: Hi\nUser: Hello' }));
    await service.apply(
      event('call_ended', {
        disconnection_reason: 'user_hangup',
        recording_url: 'https://r/1.wav',
        transcript: 'Agent: Hi\nUser: Hello\nAgent: Bye',
      }),
    );
    await service.apply(event('call_analyzed', { call_analysis: { call_successful: true } }));
    const r = (await calls.get('CA1'))!.retell;
    expect(r).toMatchObject({
      transcript: 'Agent: Hi\nUser: Hello\nAgent: Bye',
      disconnectionReason: 'user_hangup',
      recordingUrl: 'https://r/1.wav',
      analysis: { call_successful: true },
    });
    expect(r.events.map((e) => e.event)).toEqual([
      'transcript_updated',
      'transcript_updated',
      'call_ended',
      'call_analyzed',
    ]);
  });

  it('finds the call by Retell call_id when metadata is missing, and ignores unknown calls', async () => {
    const { service } = await setup();
    expect(await service.apply(RetellWebhookSchema.parse({ event: 'call_ended', call: { call_id: 'call_1' } }))).toBe(
      'stored',
    );
    expect(await service.apply(RetellWebhookSchema.parse({ event: 'call_ended', call: { call_id: 'call_zzz' } }))).toBe(
      'unknown_call',
    );
  });
});
