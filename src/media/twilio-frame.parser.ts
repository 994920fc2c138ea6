import type { RawData } from 'ws';
import { parseTwilioFrame } from '../protocol/twilio-media.js';
import { REJECTED_FRAME } from './media.constants.js';

/** A `ws` message as {@link parseTwilioFrame} takes it: text and single buffers as they are, the rest joined. */
export function toFrameInput(data: RawData | string): string | Buffer {
  if (typeof data === 'string' || Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/**
 * `WsAdapter` message parser for Twilio Media Streams: each text frame is parsed and validated once, here, into a
 * typed frame routed by its `event`. A bad frame is routed to {@link REJECTED_FRAME} with the reason, to be counted
 * and dropped, instead of throwing (which the adapter would log per frame: a log flood on a public socket).
 */
export function twilioFrameParser(data: RawData | string): { event: string; data: unknown } {
  const parsed = parseTwilioFrame(toFrameInput(data));
  return parsed.ok ? { event: parsed.frame.event, data: parsed.frame } : { event: REJECTED_FRAME, data: parsed };
}
