import { canTransition, newCallRecord, transition } from './call-state.js';

describe('call state', () => {
  it('moves forward along the call and never back', () => {
    expect(canTransition('ringing', 'registered')).toBe(true);
    expect(canTransition('registered', 'connected')).toBe(true);
    expect(canTransition('connected', 'registered')).toBe(false);
    expect(canTransition('registered', 'fallback')).toBe(true);
    expect(canTransition('fallback', 'connected')).toBe(false);
    expect(canTransition('ended', 'connected')).toBe(false);
    expect(canTransition('failed', 'ended')).toBe(false);
  });

  it(`${transition.name} stamps the time and the reason`, () => {
    const r = newCallRecord({ callSid: 'CA1', direction: 'inbound', from: 'a', to: 'b', now: new Date(0) });
    expect(transition(r, 'fallback', 'retell_timeout', new Date(1000))).toBe(true);
    expect(r).toMatchObject({
      state: 'fallback',
      stateReason: 'retell_timeout',
      stateTimes: { fallback: '1970-01-01T00:00:01.000Z' },
    });
    expect(transition(r, 'registered')).toBe(false);
  });
});
