/**
 * A Retell call as the emulator keeps it, and how it is presented: the call object of get-call and webhooks, the
 * post-call analysis, and the validation of a registration.
 */
import type { CallRegisterPhoneCallParams, PhoneCallResponse } from 'retell-sdk/resources/call';
import type { RetellEventName } from '../src/protocol/retell-events.js';
import type { TranscriptLine } from './sip-endpoint.js';

/** One `POST /v2/register-phone-call`. */
export interface RetellRegistration {
  readonly at: number;
  readonly body: Partial<CallRegisterPhoneCallParams> & Record<string, unknown>;
  status?: number;
  /** Set when it succeeded (201). */
  callId?: string;
}

/** Lifecycle of an emulated Retell call. */
export type RetellCallStatus = PhoneCallResponse['call_status'];

/** The state of one Retell call. */
export interface RetellCallState {
  readonly callId: string;
  readonly registration: RetellRegistration['body'];
  readonly agentId: string;
  readonly agentVersion: number;
  status: RetellCallStatus;
  readonly registeredAt: number;
  twilioCallSid?: string;
  dialCallSid?: string;
  startTimestamp?: number;
  endTimestamp?: number;
  disconnectionReason?: string;
  /** The conversation (what the Twilio script plays), revealed over time. */
  transcript: readonly TranscriptLine[];
  analysis?: Readonly<Record<string, unknown>>;
  callAnalysis?: Record<string, unknown>;
}

/**
 * The call object as Retell's get-call and webhooks present it: registration echo, status, timestamps, the transcript
 * so far (`linesUpTo` lines, or those spoken by now), and once ended the recording, reason and duration.
 */
export function buildCallObject(
  call: RetellCallState,
  purpose: RetellEventName | 'get' | 'function',
  linesUpTo: number | undefined,
  recordingBaseUrl = 'https://retell-emulator.invalid/recordings',
): Record<string, unknown> {
  const elapsed = call.startTimestamp ? (call.endTimestamp ?? Date.now()) - call.startTimestamp : 0;
  const lines =
    linesUpTo !== undefined
      ? call.transcript.slice(0, linesUpTo)
      : call.transcript.filter((l) => call.startTimestamp && l.atMs <= elapsed);
  const body = call.registration;
  const out: Record<string, unknown> = {
    call_id: call.callId,
    call_type: 'phone_call',
    agent_id: call.agentId,
    agent_version: call.agentVersion,
    call_status: call.status,
    direction: body.direction ?? 'inbound',
    from_number: body.from_number ?? '',
    to_number: body.to_number ?? '',
    metadata: body.metadata ?? {},
    retell_llm_dynamic_variables: body.retell_llm_dynamic_variables ?? {},
  };
  if (call.twilioCallSid) out.telephony_identifier = { twilio_call_sid: call.twilioCallSid };
  if (call.startTimestamp) out.start_timestamp = call.startTimestamp;
  if (call.startTimestamp && purpose !== 'call_started') {
    out.transcript = lines.map((l) => `${l.role === 'agent' ? 'Agent' : 'User'}: ${l.content}\n`).join('');
    out.transcript_object = lines.map((l) => ({ role: l.role, content: l.content, words: [] }));
  }
  if (call.status === 'ended' || call.status === 'not_connected' || call.status === 'error') {
    if (call.endTimestamp) out.end_timestamp = call.endTimestamp;
    if (call.startTimestamp && call.endTimestamp) {
      out.duration_ms = call.endTimestamp - call.startTimestamp;
      out.recording_url = `${recordingBaseUrl}/${call.callId}/recording.wav`;
    }
    out.disconnection_reason = call.disconnectionReason;
  }
  if (call.callAnalysis && (purpose === 'call_analyzed' || purpose === 'get')) out.call_analysis = call.callAnalysis;
  return out;
}

/** Retell's `call_analysis`: defaults, overridden by what the script asked for. */
export function defaultAnalysis(call: RetellCallState): Record<string, unknown> {
  const lines = call.transcript.filter(
    (l) => call.startTimestamp && call.endTimestamp && l.atMs <= call.endTimestamp - call.startTimestamp,
  );
  return {
    call_summary: lines.length
      ? `The user and the agent exchanged ${lines.length} utterance${lines.length === 1 ? '' : 's'}.`
      : 'The call ended before anything was said.',
    user_sentiment: 'Neutral',
    call_successful: call.disconnectionReason !== 'error_retell',
    in_voicemail: false,
    custom_analysis_data: {},
    ...call.analysis,
  };
}

/** The Twilio CallSid of a Retell call: from the SIP leg, else the registration's metadata. */
export function twilioSidOf(call: RetellCallState): string | undefined {
  if (call.twilioCallSid) return call.twilioCallSid;
  const m = call.registration.metadata;
  if (isRecord(m) && typeof m.twilio_call_sid === 'string') return m.twilio_call_sid;
  return undefined;
}

/** A plain JSON object. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates a register-phone-call body as Retell does (400 on a bad one). */
export function validateRegistration(body: unknown): string[] {
  if (!isRecord(body)) return ['body must be a JSON object'];
  const problems: string[] = [];
  if (typeof body.agent_id !== 'string' || !body.agent_id) problems.push('agent_id is required');
  if (body.direction !== undefined && body.direction !== 'inbound' && body.direction !== 'outbound') {
    problems.push('direction must be inbound or outbound');
  }
  for (const k of ['from_number', 'to_number'] as const) {
    if (body[k] !== undefined && typeof body[k] !== 'string') problems.push(`${k} must be a string`);
  }
  const dv = body.retell_llm_dynamic_variables;
  if (dv !== undefined && (!isRecord(dv) || Object.values(dv).some((v) => typeof v !== 'string'))) {
    problems.push('retell_llm_dynamic_variables must map strings to strings');
  }
  if (body.agent_override !== undefined && !isRecord(body.agent_override))
    problems.push('agent_override must be an object');
  return problems;
}

/** `sip:user@host;params` → user and host. */
export function parseSipUri(uri: string): { readonly user: string; readonly host: string } | undefined {
  const m = /^sips?:([^@;]+)@([^;:>?]+)/i.exec(uri.trim());
  return m ? { user: decodeURIComponent(m[1]!), host: m[2]! } : undefined;
}
