import { z } from 'zod';
import { parseModuleOptions } from '../common/module-options.js';
import { opt } from '../common/option-schemas.js';
import type { AudioProcessor } from './audio/audio-processor.interface.js';
import type { ThreadedAudioProcessorOptions } from './audio/threaded-audio.processor.js';

/** Modes of the media gateway: fork = listen to both tracks and measure; relay = carry audio to a raw-audio agent. */
export const MEDIA_MODES = ['fork', 'relay', 'off'] as const;
export type MediaMode = (typeof MEDIA_MODES)[number];

/** Options of {@link MediaModule}. */
export interface MediaModuleOptions {
  /**
   * `fork` (default): Twilio forks both tracks here (`<Start><Stream>` before the `<Dial>` to Retell) and they are
   * analysed; `relay`: Twilio connects the call here (`<Connect><Stream>`, no Retell) and the audio is carried to
   * `agentStreamUrl`; `off`: no stream is requested, and upgrades are refused. The one place the mode is set: the
   * voice webhook's TwiML follows it (see `MEDIA_STREAM_PLAN`).
   */
  mode?: MediaMode;
  /** Relay mode: the raw-audio agent's WebSocket (Twilio Media Streams format). */
  agentStreamUrl?: string;
  /**
   * Replaces the default audio processor; or provide one under `AUDIO_PROCESSOR`. For the default's analysis on the
   * event loop instead of a thread, give `new SileroAudioProcessor()`.
   */
  audioProcessor?: AudioProcessor;
  /**
   * Options of the default audio processor (`ThreadedAudioProcessor`: energy gate, DTMF and Silero VAD in a worker
   * thread, falling back to the event loop), e.g. `{ threadPriority: 'idle' }` or `{ workerUrl }` when a bundler moves
   * its worker file. Not with `audioProcessor`.
   */
  audioProcessorOptions?: ThreadedAudioProcessorOptions;
  /** Frames above this are dropped and counted (Twilio's are a few hundred bytes). Default 64 KiB. */
  maxFrameBytes?: number;
  /**
   * One WebSocket message above this closes the socket (ws code 1009) before it is even buffered. Default 1 MiB;
   * at least `maxFrameBytes`.
   */
  maxSocketPayloadBytes?: number;
  /**
   * Frames per second one socket may send before the excess is dropped; Twilio sends 50 per track. Default 250.
   * A socket that keeps flooding for `floodCloseAfterMs` is closed.
   */
  maxFramesPerSecond?: number;
  /** Default 3000. */
  floodCloseAfterMs?: number;
  /** Both sides silent this long emits `dead-air`. Default 2000 ms. */
  deadAirThresholdMs?: number;
  /** How often live analytics are written to the call record, ms. Default 2000. */
  analyticsFlushMs?: number;
  /** Relay mode: how long to wait for the agent's socket to open. Default 3000 ms. */
  upstreamConnectTimeoutMs?: number;
}

const MediaOptionsSchema = z
  .strictObject({
    mode: z.enum(MEDIA_MODES, { error: `must be one of ${MEDIA_MODES.join(', ')}` }).default('fork'),
    agentStreamUrl: opt.wsUrl().optional(),
    audioProcessor: opt.port<AudioProcessor>(['open'], 'an AudioProcessor').optional(),
    audioProcessorOptions: z
      .custom<ThreadedAudioProcessorOptions>((v) => typeof v === 'object' && v !== null, { error: 'must be an object' })
      .optional(),
    maxFrameBytes: opt.int(1).default(64 * 1024),
    maxSocketPayloadBytes: opt.int(1).default(1024 * 1024),
    maxFramesPerSecond: opt.int(1).default(250),
    floodCloseAfterMs: opt.int(1).default(3000),
    deadAirThresholdMs: opt.int(1).default(2000),
    analyticsFlushMs: opt.int(1).default(2000),
    upstreamConnectTimeoutMs: opt.int(1).default(3000),
  })
  .superRefine(
    (o, ctx) => {
      if (o.audioProcessor !== undefined && o.audioProcessorOptions !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['audioProcessorOptions'],
          message: 'cannot be given with audioProcessor',
        });
      if (o.mode === 'relay' && o.agentStreamUrl === undefined)
        ctx.addIssue({ code: 'custom', path: ['agentStreamUrl'], message: 'is required in relay mode' });
      if (
        typeof o.maxSocketPayloadBytes === 'number' &&
        typeof o.maxFrameBytes === 'number' &&
        o.maxSocketPayloadBytes < o.maxFrameBytes
      )
        ctx.addIssue({ code: 'custom', path: ['maxSocketPayloadBytes'], message: 'must be at least maxFrameBytes' });
    },
    { when: () => true },
  );

/** {@link MediaModuleOptions} with defaults applied. */
export type ResolvedMediaOptions = Readonly<z.output<typeof MediaOptionsSchema>>;

/** Merges defaults and validates; a wrong option fails at boot, naming every bad one. */
export function resolveMediaOptions(options: MediaModuleOptions = {}): ResolvedMediaOptions {
  return parseModuleOptions('MediaModule', MediaOptionsSchema, options);
}
