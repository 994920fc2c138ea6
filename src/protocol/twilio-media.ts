/**
 * Twilio Media Streams wire protocol: the JSON text frames Twilio sends to a stream's WebSocket server and the ones a
 * bidirectional (`<Connect><Stream>`) server may send back. Numbers arrive as strings on the wire; {@link parseTwilioFrame}
 * turns them into numbers once, at the edge, so nothing downstream re-parses or re-validates.
 *
 * @see https://www.twilio.com/docs/voice/media-streams/websocket-messages
 */

/** Which leg of the call a media frame carries: `inbound` is the caller, `outbound` what the caller hears. */
export type MediaTrack = 'inbound' | 'outbound';

/** `connected`: the first frame on a new stream socket. */
export interface ConnectedFrame {
  readonly event: 'connected';
  readonly protocol: string;
  readonly version: string;
}

/** `start`: stream metadata, sent once after `connected`. */
export interface StartFrame {
  readonly event: 'start';
  readonly sequenceNumber: number;
  readonly streamSid: string;
  readonly start: {
    readonly accountSid: string;
    readonly streamSid: string;
    readonly callSid: string;
    readonly tracks: readonly MediaTrack[];
    /** Values from `<Parameter name value>` in the TwiML. */
    readonly customParameters: Readonly<Record<string, string>>;
    readonly mediaFormat: { readonly encoding: string; readonly sampleRate: number; readonly channels: number };
  };
}

/** `media`: one chunk of base64 mu-law audio (usually 20 ms = 160 bytes, but no size is promised). */
export interface MediaFrame {
  readonly event: 'media';
  readonly sequenceNumber: number;
  readonly streamSid: string;
  readonly media: {
    readonly track: MediaTrack;
    /** Per-track counter, from 1. */
    readonly chunk: number;
    /** Milliseconds since the stream started. */
    readonly timestamp: number;
    /** Base64 of raw 8 kHz mu-law bytes. Decoded lazily by whoever needs the audio. */
    readonly payload: string;
  };
}

/** `dtmf`: a key press (bidirectional streams only; a fork carries none). */
export interface DtmfFrame {
  readonly event: 'dtmf';
  readonly sequenceNumber: number;
  readonly streamSid: string;
  readonly dtmf: { readonly track: string; readonly digit: string };
}

/** `mark`: Twilio echoes a mark the server sent once the audio before it has played (or was cleared). */
export interface MarkFrame {
  readonly event: 'mark';
  readonly sequenceNumber: number;
  readonly streamSid: string;
  readonly mark: { readonly name: string };
}

/** `stop`: the stream ended (call hung up, `<Stop>`, or REST update). */
export interface StopFrame {
  readonly event: 'stop';
  readonly sequenceNumber: number;
  readonly streamSid: string;
  readonly stop: { readonly accountSid: string; readonly callSid: string };
}

/** Every frame Twilio sends to a stream server. */
export type TwilioInboundFrame = ConnectedFrame | StartFrame | MediaFrame | DtmfFrame | MarkFrame | StopFrame;

/** Frames a bidirectional stream server sends to Twilio. Anything else is Twilio error 31951. */
export type TwilioOutboundFrame =
  | { readonly event: 'media'; readonly streamSid: string; readonly media: { readonly payload: string } }
  | { readonly event: 'mark'; readonly streamSid: string; readonly mark: { readonly name: string } }
  | { readonly event: 'clear'; readonly streamSid: string };

/** Why a frame was dropped at the edge; also the `reason` label of the dropped-frames metric. */
export type FrameRejection = 'not_json' | 'oversized' | 'unknown_event' | 'invalid';

/** Result of {@link parseTwilioFrame}: a typed frame, or the reason it was rejected. */
export type ParsedTwilioFrame =
  | { readonly ok: true; readonly frame: TwilioInboundFrame }
  | { readonly ok: false; readonly reason: FrameRejection; readonly detail: string };

/** Twilio's own frames are a few hundred bytes; anything past this is hostile or broken. */
export const MAX_TWILIO_FRAME_BYTES = 64 * 1024;

/** mu-law: one byte per sample at 8 kHz, so 8 bytes per millisecond. */
export const MULAW_BYTES_PER_MS = 8;

const MEDIA_TRACKS: ReadonlySet<string> = new Set<MediaTrack>(['inbound', 'outbound']);

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Twilio sends numbers as strings; accept both, reject anything that is not a finite non-negative integer. */
function toCount(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function invalid(detail: string): ParsedTwilioFrame {
  return { ok: false, reason: 'invalid', detail };
}

/** The size check and JSON parse both directions share: a JSON object, or why the frame is refused. */
function parseJsonFrame(
  data: string | Buffer,
):
  | { readonly ok: true; readonly json: Json }
  | { readonly ok: false; readonly reason: FrameRejection; readonly detail: string } {
  const size = typeof data === 'string' ? data.length : data.byteLength;
  if (size > MAX_TWILIO_FRAME_BYTES) return { ok: false, reason: 'oversized', detail: `${size} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not_json', detail: 'frame is not JSON' };
  }
  return isObject(json) ? { ok: true, json } : { ok: false, reason: 'invalid', detail: 'frame is not a JSON object' };
}

/**
 * Parses and validates one Twilio Media Streams text frame. Never throws: a frame that is not JSON, too large, of an
 * unknown event, or missing a field comes back as `{ ok: false, reason }` so the caller can count it and drop it.
 */
export function parseTwilioFrame(data: string | Buffer): ParsedTwilioFrame {
  const parsed = parseJsonFrame(data);
  if (!parsed.ok) return parsed;
  const json = parsed.json;
  const event = json.event;
  if (event === 'connected') {
    return {
      ok: true,
      frame: { event, protocol: str(json.protocol) ?? 'Call', version: str(json.version) ?? '1.0.0' },
    };
  }
  const sequenceNumber = toCount(json.sequenceNumber);
  const streamSid = str(json.streamSid);
  if (typeof event !== 'string') return invalid('missing event');
  if (sequenceNumber === undefined) return invalid('missing or bad sequenceNumber');
  if (!streamSid) return invalid('missing streamSid');
  switch (event) {
    case 'media': {
      const m = json.media;
      if (!isObject(m)) return invalid('media: missing media');
      const track = str(m.track);
      const chunk = toCount(m.chunk);
      const timestamp = toCount(m.timestamp);
      const payload = str(m.payload);
      if (!track || !MEDIA_TRACKS.has(track)) return invalid('media: bad track');
      if (chunk === undefined || timestamp === undefined) return invalid('media: bad chunk or timestamp');
      if (payload === undefined) return invalid('media: missing payload');
      return {
        ok: true,
        frame: { event, sequenceNumber, streamSid, media: { track: track as MediaTrack, chunk, timestamp, payload } },
      };
    }
    case 'start': {
      const s = json.start;
      if (!isObject(s)) return invalid('start: missing start');
      const callSid = str(s.callSid);
      const accountSid = str(s.accountSid) ?? '';
      if (!callSid) return invalid('start: missing callSid');
      const tracks = Array.isArray(s.tracks)
        ? s.tracks.filter((t): t is MediaTrack => typeof t === 'string' && MEDIA_TRACKS.has(t))
        : [];
      const customParameters: Record<string, string> = {};
      if (isObject(s.customParameters)) {
        for (const [k, v] of Object.entries(s.customParameters)) if (typeof v === 'string') customParameters[k] = v;
      }
      const mf = isObject(s.mediaFormat) ? s.mediaFormat : {};
      return {
        ok: true,
        frame: {
          event,
          sequenceNumber,
          streamSid,
          start: {
            accountSid,
            streamSid: str(s.streamSid) ?? streamSid,
            callSid,
            tracks: tracks.length ? tracks : ['inbound'],
            customParameters,
            mediaFormat: {
              encoding: str(mf.encoding) ?? 'audio/x-mulaw',
              sampleRate: toCount(mf.sampleRate) ?? 8000,
              channels: toCount(mf.channels) ?? 1,
            },
          },
        },
      };
    }
    case 'dtmf': {
      const d = json.dtmf;
      if (!isObject(d) || !str(d.digit)) return invalid('dtmf: missing digit');
      return {
        ok: true,
        frame: {
          event,
          sequenceNumber,
          streamSid,
          dtmf: { track: str(d.track) ?? 'inbound_track', digit: d.digit as string },
        },
      };
    }
    case 'mark': {
      const m = json.mark;
      if (!isObject(m) || !str(m.name)) return invalid('mark: missing name');
      return { ok: true, frame: { event, sequenceNumber, streamSid, mark: { name: m.name as string } } };
    }
    case 'stop': {
      const s = isObject(json.stop) ? json.stop : {};
      return {
        ok: true,
        frame: {
          event,
          sequenceNumber,
          streamSid,
          stop: { accountSid: str(s.accountSid) ?? '', callSid: str(s.callSid) ?? '' },
        },
      };
    }
    default:
      return { ok: false, reason: 'unknown_event', detail: `unknown event "${event.slice(0, 32)}"` };
  }
}

/** Milliseconds of audio in a mu-law payload given as base64, without decoding it. */
export function base64MulawDurationMs(payload: string): number {
  let padding = 0;
  if (payload.endsWith('==')) padding = 2;
  else if (payload.endsWith('=')) padding = 1;
  return ((payload.length * 3) / 4 - padding) / MULAW_BYTES_PER_MS;
}

/** Result of {@link parseServerFrame}. */
export type ParsedServerFrame =
  | { readonly ok: true; readonly frame: TwilioOutboundFrame }
  | { readonly ok: false; readonly reason: FrameRejection; readonly detail: string };

/**
 * Parses a frame a Media Streams *server* sends (what a raw-audio agent sends us in relay mode): `media`, `mark`,
 * `clear`. Never throws.
 */
export function parseServerFrame(data: string | Buffer): ParsedServerFrame {
  const parsed = parseJsonFrame(data);
  if (!parsed.ok) return parsed;
  const json = parsed.json;
  const streamSid = str(json.streamSid) ?? '';
  switch (json.event) {
    case 'media': {
      const payload = isObject(json.media) ? str(json.media.payload) : undefined;
      if (payload === undefined) return { ok: false, reason: 'invalid', detail: 'media: missing payload' };
      return { ok: true, frame: { event: 'media', streamSid, media: { payload } } };
    }
    case 'mark': {
      const name = isObject(json.mark) ? str(json.mark.name) : undefined;
      if (!name) return { ok: false, reason: 'invalid', detail: 'mark: missing name' };
      return { ok: true, frame: { event: 'mark', streamSid, mark: { name } } };
    }
    case 'clear':
      return { ok: true, frame: { event: 'clear', streamSid } };
    default:
      return { ok: false, reason: 'unknown_event', detail: 'unknown event' };
  }
}
