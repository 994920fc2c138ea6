/**
 * Twilio voice webhook parameters (form-encoded, PascalCase). Twilio adds parameters over time, so every type here
 * keeps the rest of the body as plain strings; signature validation must always see every received parameter.
 *
 * @see https://www.twilio.com/docs/voice/twiml#request-parameters
 */

/** Raw form body as Express parses it for `application/x-www-form-urlencoded`. */
export type TwilioParams = Readonly<Record<string, string>>;

/** Values of `Direction` on a voice request. */
export type TwilioDirection = 'inbound' | 'outbound-api' | 'outbound-dial';

/** `CallStatus` values, in the order a call moves through them (terminal ones last). */
export const TWILIO_CALL_STATUSES = [
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
] as const;
export type TwilioCallStatus = (typeof TWILIO_CALL_STATUSES)[number];

/** Statuses after which a call never changes again. */
export const TERMINAL_CALL_STATUSES: ReadonlySet<TwilioCallStatus> = new Set([
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
]);

/** The voice webhook (`POST /twilio/voice`). */
export interface VoiceWebhookParams {
  readonly CallSid: string;
  readonly AccountSid: string;
  readonly From: string;
  readonly To: string;
  readonly CallStatus: TwilioCallStatus;
  readonly Direction: TwilioDirection;
  readonly ForwardedFrom?: string;
  readonly CallerName?: string;
  readonly ParentCallSid?: string;
}

/** A call status callback (`POST /twilio/status`). `SequenceNumber` orders them: they may arrive out of order. */
export interface StatusCallbackParams {
  readonly CallSid: string;
  readonly CallStatus: TwilioCallStatus;
  readonly SequenceNumber?: string;
  readonly CallDuration?: string;
  readonly SipResponseCode?: string;
  readonly Timestamp?: string;
}

/** The `<Dial action>` callback (`POST /twilio/dial-complete`): how the dialled leg (Retell over SIP) ended. */
export interface DialCompleteParams {
  readonly CallSid: string;
  readonly DialCallStatus: 'completed' | 'answered' | 'busy' | 'no-answer' | 'failed' | 'canceled';
  readonly DialCallSid?: string;
  readonly DialCallDuration?: string;
  readonly DialSipResponseCode?: string;
}

export function isCallStatus(v: unknown): v is TwilioCallStatus {
  return typeof v === 'string' && (TWILIO_CALL_STATUSES as readonly string[]).includes(v);
}
