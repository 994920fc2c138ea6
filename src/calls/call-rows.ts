import type { TwilioCallStatus } from '../protocol/twilio-webhooks.js';
import type {
  CallDirection,
  CallMediaInfo,
  CallRecord,
  CallState,
  ConversationAnalytics,
  EscalationRecord,
  TwilioStatusEntry,
} from './call-record.js';
import type { CallSummary } from './call-store.interface.js';

/**
 * A call as the stores keep it: one row per table, in plain JS types. Every adapter maps its rows to these and builds
 * the public {@link CallRecord} with {@link assembleCallRecord}, so the record has one shape whatever the back end.
 */
export interface CallRow {
  readonly callSid: string;
  readonly direction: CallDirection;
  readonly from: string;
  readonly to: string;
  readonly state: CallState;
  readonly stateReason?: string;
  readonly stateTimes: Partial<Record<CallState, string>>;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly retellCallId?: string;
  readonly agentId?: string;
  readonly metadata?: Record<string, unknown>;
  readonly dynamicVariables?: Record<string, string>;
  readonly registrationStartedAt?: string;
  readonly registrationLeaseUntil?: string;
  readonly twilioStatus?: TwilioCallStatus;
  readonly twilioSequenceNumber?: number;
  readonly voiceWebhookCount: number;
  readonly retellCallStatus?: string;
  readonly recordingUrl?: string;
  readonly disconnectionReason?: string;
  readonly analysis?: Record<string, unknown>;
  readonly startTimestamp?: number;
  readonly endTimestamp?: number;
  readonly durationMs?: number;
}

export interface StreamEventRow {
  readonly event: string;
  readonly streamSid?: string;
  readonly error?: string;
  readonly receivedAt: string;
}

export interface RetellEventRow {
  readonly event: string;
  readonly occurrence: string;
  readonly retellCallId: string;
  readonly receivedAt: string;
}

export interface MediaRow {
  readonly streamSid: string;
  readonly mode: CallMediaInfo['mode'];
  readonly tracks: readonly string[];
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly frames: CallMediaInfo['frames'];
  readonly dropped: CallMediaInfo['dropped'];
  readonly analytics?: ConversationAnalytics;
  readonly relay?: CallMediaInfo['relay'];
}

/** Everything stored about one call. */
export interface CallParts {
  readonly call: CallRow;
  readonly statuses: readonly TwilioStatusEntry[];
  readonly streamEvents: readonly StreamEventRow[];
  readonly retellEvents: readonly RetellEventRow[];
  readonly transcript?: string;
  readonly media?: MediaRow;
  readonly escalations: readonly EscalationRecord[];
}

/** The summary the operations return. */
export function toSummary(row: CallRow): CallSummary {
  return omitUndefined({
    callSid: row.callSid,
    direction: row.direction,
    from: row.from,
    to: row.to,
    state: row.state,
    stateReason: row.stateReason,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    retellCallId: row.retellCallId,
    agentId: row.agentId,
    metadata: row.metadata,
    dynamicVariables: row.dynamicVariables,
    voiceWebhookCount: row.voiceWebhookCount,
    twilioStatus: row.twilioStatus,
  });
}

/** The public record (`GET /calls/:callSid`), built the same way by every adapter. */
export function assembleCallRecord(parts: CallParts): CallRecord {
  const c = parts.call;
  const record: CallRecord = omitUndefined({
    callSid: c.callSid,
    direction: c.direction,
    from: c.from,
    to: c.to,
    state: c.state,
    stateReason: c.stateReason,
    stateTimes: { ...c.stateTimes },
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    retellCallId: c.retellCallId,
    registrationStartedAt: c.registrationStartedAt,
    agentId: c.agentId,
    metadata: c.metadata,
    dynamicVariables: c.dynamicVariables,
    twilio: omitUndefined({
      status: c.twilioStatus,
      lastSequenceNumber: c.twilioSequenceNumber,
      statusHistory: parts.statuses.map((s) => omitUndefined({ ...s })),
      voiceWebhookCount: c.voiceWebhookCount,
      streamEvents: parts.streamEvents.map((e) => omitUndefined({ ...e })),
    }),
    retell: omitUndefined({
      events: parts.retellEvents.map((e) => ({ event: e.event, receivedAt: e.receivedAt })),
      eventKeys: parts.retellEvents
        .filter((e) => e.event !== 'transcript_updated')
        .map((e) => `${e.event}:${e.retellCallId}${e.occurrence ? `:${e.occurrence}` : ''}`),
      callStatus: c.retellCallStatus,
      transcript: parts.transcript,
      recordingUrl: c.recordingUrl,
      disconnectionReason: c.disconnectionReason,
      analysis: c.analysis,
      startTimestamp: c.startTimestamp,
      endTimestamp: c.endTimestamp,
      durationMs: c.durationMs,
    }),
    media: parts.media && mediaInfo(parts.media),
    escalations: parts.escalations.length ? parts.escalations.map((e) => omitUndefined({ ...e })) : undefined,
  });
  return record;
}

function mediaInfo(m: MediaRow): CallMediaInfo {
  return omitUndefined({
    streamSid: m.streamSid,
    mode: m.mode,
    tracks: [...m.tracks],
    startedAt: m.startedAt,
    endedAt: m.endedAt,
    frames: { ...m.frames },
    dropped: { ...m.dropped },
    analytics: m.analytics,
    relay: m.relay,
  });
}

/** Drops keys whose value is undefined, so every adapter's records serialise (and compare) the same. */
export function omitUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}
