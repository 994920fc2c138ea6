/**
 * Wire encoding of the frames Twilio sends on a media stream. The typed frames are the app's own
 * ({@link TwilioInboundFrame}); on the wire Twilio writes `sequenceNumber`, `chunk` and `timestamp` as strings while
 * `mediaFormat.sampleRate`/`channels` stay numbers, and this is the one place that knows it.
 */
import type { TwilioInboundFrame, TwilioOutboundFrame } from '../src/protocol/twilio-media.js';

const STRING_NUMBERS: ReadonlySet<string> = new Set(['sequenceNumber', 'chunk', 'timestamp']);

/** Serialises a frame exactly as Twilio writes it. */
export function serializeTwilioFrame(frame: TwilioInboundFrame): string {
  return JSON.stringify(frame, (key, value: unknown) =>
    STRING_NUMBERS.has(key) && typeof value === 'number' ? String(value) : value,
  );
}

/** Result of reading what a stream server sent. */
export type ServerFrameRead =
  { readonly ok: true; readonly frame: TwilioOutboundFrame } | { readonly ok: false; readonly reason: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads a server → Twilio frame the way Twilio does. Unlike the app's inbound parser there is no size cap: a server may
 * send any amount of audio in one `media` message. Anything but `media`/`mark`/`clear` is Twilio's error 31951.
 */
export function readServerFrame(data: string): ServerFrameRead {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { ok: false, reason: 'not_json' };
  }
  if (!isObject(json)) return { ok: false, reason: 'not_object' };
  const streamSid = typeof json.streamSid === 'string' ? json.streamSid : '';
  switch (json.event) {
    case 'media': {
      const payload = isObject(json.media) ? json.media.payload : undefined;
      if (typeof payload !== 'string') return { ok: false, reason: 'media_without_payload' };
      return { ok: true, frame: { event: 'media', streamSid, media: { payload } } };
    }
    case 'mark': {
      const name = isObject(json.mark) ? json.mark.name : undefined;
      if (typeof name !== 'string' || !name) return { ok: false, reason: 'mark_without_name' };
      return { ok: true, frame: { event: 'mark', streamSid, mark: { name } } };
    }
    case 'clear':
      return { ok: true, frame: { event: 'clear', streamSid } };
    default:
      return { ok: false, reason: `unknown_event:${String(json.event).slice(0, 32)}` };
  }
}
