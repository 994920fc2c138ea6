import type { MediaTrack } from '../protocol/twilio-media.js';

/**
 * Events the media gateway emits inside the app (through `@nestjs/event-emitter`), so other modules can react to the
 * live conversation: `@OnEvent(MEDIA_EVENTS.interruption)`. Times are stream time (ms since the stream started).
 */
export const MEDIA_EVENTS = {
  speechStarted: 'speech.started',
  speechStopped: 'speech.stopped',
  interruption: 'interruption',
  deadAir: 'dead-air',
  dtmf: 'dtmf',
  streamStarted: 'media.stream.started',
  streamEnded: 'media.stream.ended',
} as const;

/** Which side of the conversation a track is: inbound is the caller, outbound what the caller hears (the agent). */
export type Speaker = 'caller' | 'agent';

export const speakerOf = (track: MediaTrack): Speaker => (track === 'inbound' ? 'caller' : 'agent');

interface CallScoped {
  readonly callSid: string;
  readonly streamSid: string;
}

export interface SpeechEvent extends CallScoped {
  readonly track: MediaTrack;
  readonly speaker: Speaker;
  /** When speech began (started) or last speech was heard (stopped). */
  readonly at: number;
}

export interface InterruptionEvent extends CallScoped {
  /** When the caller started speaking over the agent. */
  readonly at: number;
}

export interface DeadAirEvent extends CallScoped {
  /** How long both sides have been silent. */
  readonly ms: number;
  readonly since: number;
}

export interface DtmfEvent extends CallScoped {
  readonly digit: string;
  readonly at: number;
}

export interface StreamLifecycleEvent extends CallScoped {
  readonly mode: 'fork' | 'relay';
}
