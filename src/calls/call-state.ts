import type { CallState } from './call-record.js';

/**
 * Order of states along a call. A change never goes to a lower rank, so late or repeated events (a Retell
 * `call_started` after Twilio said `completed`, a status callback out of order) cannot move a call backwards.
 * `fallback` ranks with `connected`: either can follow `registered`, and a call in fallback has left the agent.
 */
const RANK: Readonly<Record<CallState, number>> = {
  ringing: 0,
  registered: 1,
  connected: 2,
  fallback: 3,
  ended: 4,
  failed: 4,
};

/** Every state, in rank order. */
export const CALL_STATES: readonly CallState[] = ['ringing', 'registered', 'connected', 'fallback', 'ended', 'failed'];

/** States after which nothing changes. */
export const FINAL_STATES: ReadonlySet<CallState> = new Set(['ended', 'failed']);

/** Whether a call in `from` may move to `to`. */
export function canTransition(from: CallState, to: CallState): boolean {
  if (FINAL_STATES.has(from)) return false;
  return RANK[to] > RANK[from];
}

/**
 * The states a call may move to `to` from. Stores put this list in their conditional update (`… WHERE state IN
 * (…)`), so the rule is checked in the same statement that applies it.
 */
export function statesBefore(to: CallState): readonly CallState[] {
  return CALL_STATES.filter((from) => canTransition(from, to));
}

/**
 * Where a terminal Twilio status takes a call: `completed` ends it; any other terminal status (busy, no-answer, …)
 * fails a call that never reached an agent or a fallback, and ends one that did.
 */
export function terminalStateFor(current: CallState, completed: boolean): CallState {
  if (completed) return 'ended';
  return current === 'ringing' || current === 'registered' ? 'failed' : 'ended';
}
