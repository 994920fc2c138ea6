import { randomBytes } from 'node:crypto';

/** A Twilio-style SID: two-letter prefix (`CA` call, `MZ` stream, `AC` account) then 32 lowercase hex digits. */
export function twilioSid(prefix: 'CA' | 'MZ' | 'AC' | 'PN' | 'RE'): string {
  return prefix + randomBytes(16).toString('hex');
}

/** A Retell call id as the API issues them: `call_` then 32 hex digits. */
export function retellCallId(): string {
  return 'call_' + randomBytes(16).toString('hex');
}
