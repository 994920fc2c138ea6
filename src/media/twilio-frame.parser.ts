import { parseTwilioFrame } from '../protocol/twilio-media.js';
import { REJECTED_FRAME } from './media.constants.js';

/**
 * `WsAdapter` message parser for Twilio Media Streams: each text frame is parsed and validated once, here, into a
 * typed frame routed by its `event`. A bad frame is routed to {@link REJECTED_FRAME} with the reason, to be counted
 * and dropped, instead of throwing (which the adapter would log per frame: a log flood on a public socket).
 */
export function twilioFrameParser(data: unknown): { event: string; data: unknown } {
  const raw = typeof data === 'string' || Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
  const parsed = parseTwilioFrame(raw);
  return parsed.ok ? { event: parsed.frame.event, data: parsed.frame } : { event: REJECTED_FRAME, data: parsed };
}
