import { canTransition, statesBefore, terminalStateFor } from './call-state.js';

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

  it(`${statesBefore.name} lists exactly the states a move may start from`, () => {
    expect(statesBefore('registered')).toEqual(['ringing']);
    expect(statesBefore('fallback')).toEqual(['ringing', 'registered', 'connected']);
    expect(statesBefore('ended')).toEqual(['ringing', 'registered', 'connected', 'fallback']);
    expect(statesBefore('ringing')).toEqual([]);
  });

  it(`${terminalStateFor.name}: a call that never connected fails, one that did ends`, () => {
    expect(terminalStateFor('ringing', false)).toBe('failed');
    expect(terminalStateFor('registered', false)).toBe('failed');
    expect(terminalStateFor('connected', false)).toBe('ended');
    expect(terminalStateFor('ringing', true)).toBe('ended');
  });
});
