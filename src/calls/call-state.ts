import type { CallRecord, CallState } from './call-record.js';

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

/** States after which nothing changes. */
export const FINAL_STATES: ReadonlySet<CallState> = new Set(['ended', 'failed']);

/** Whether `record` may move to `to`. */
export function canTransition(from: CallState, to: CallState): boolean {
  if (FINAL_STATES.has(from)) return false;
  return RANK[to] > RANK[from];
}

/**
 * Moves `draft` to `to` if allowed, stamping the time and reason. Returns whether it moved; for use inside
 * `CallStore.update`.
 */
export function transition(draft: CallRecord, to: CallState, reason?: string, now = new Date()): boolean {
  if (!canTransition(draft.state, to)) return false;
  draft.state = to;
  draft.stateTimes[to] = now.toISOString();
  if (reason !== undefined) draft.stateReason = reason;
  draft.updatedAt = now.toISOString();
  return true;
}

/** A new record in `ringing`. */
export function newCallRecord(input: {
  callSid: string;
  direction: CallRecord['direction'];
  from: string;
  to: string;
  agentId?: string;
  metadata?: Record<string, unknown>;
  dynamicVariables?: Record<string, string>;
  now?: Date;
}): CallRecord {
  const at = (input.now ?? new Date()).toISOString();
  return {
    callSid: input.callSid,
    direction: input.direction,
    from: input.from,
    to: input.to,
    state: 'ringing',
    stateTimes: { ringing: at },
    createdAt: at,
    updatedAt: at,
    agentId: input.agentId,
    metadata: input.metadata,
    dynamicVariables: input.dynamicVariables,
    twilio: { statusHistory: [], voiceWebhookCount: 0, streamEvents: [] },
    retell: { events: [], eventKeys: [] },
  };
}
