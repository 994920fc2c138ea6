import {
  RetellWebhookSchema,
  parseRetellFunctionCall,
  retellEventKey,
  retellEventOccurrence,
} from './retell-events.js';

const event = (name: string, call: Record<string, unknown> = {}) =>
  RetellWebhookSchema.parse({ event: name, call: { call_id: 'call_1', ...call } });

describe(retellEventKey.name, () => {
  it('keys a delivery on event and call', () => {
    expect(retellEventKey(event('call_ended'))).toBe('call_ended:call_1');
    expect(retellEventKey(event('call_ended'))).not.toBe(retellEventKey(event('call_analyzed')));
  });

  it('gives cumulative transcript updates no key: the latest replaces the last', () => {
    expect(retellEventKey(event('transcript_updated'))).toBeUndefined();
  });

  it('tells transfers in one call apart by their start time', () => {
    expect(retellEventKey(event('transfer_started', { transfer_start_timestamp: 1 }))).not.toBe(
      retellEventKey(event('transfer_started', { transfer_start_timestamp: 2 })),
    );
  });
});

describe(retellEventOccurrence.name, () => {
  it('is empty for lifecycle events, the start time for transfers, the content for transcript updates', () => {
    expect(retellEventOccurrence(event('call_ended', { end_timestamp: 5 }))).toBe('');
    expect(retellEventOccurrence(event('transfer_started', { transfer_start_timestamp: 7 }))).toBe('7');
    const a = retellEventOccurrence(event('transcript_updated', { transcript: 'Agent: Hi' }));
    expect(a).toBe(retellEventOccurrence(event('transcript_updated', { transcript: 'Agent: Hi' })));
    expect(a).not.toBe(retellEventOccurrence(event('transcript_updated', { transcript: 'Agent: Hi\nUser: Yo' })));
  });
});

describe(parseRetellFunctionCall.name, () => {
  it('reads the {call, name, args} envelope', () => {
    const r = parseRetellFunctionCall('escalate', {
      name: 'escalate',
      args: { reason: 'angry' },
      call: { call_id: 'call_1' },
    });
    expect(r).toMatchObject({ name: 'escalate', args: { reason: 'angry' }, call: { call_id: 'call_1' } });
  });

  it('reads bare arguments (args_at_root)', () => {
    expect(parseRetellFunctionCall('lookup', { order: '42' })).toEqual({ name: 'lookup', args: { order: '42' } });
  });
});
