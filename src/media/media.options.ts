import { z } from 'zod';
import { parseModuleOptions } from '../common/module-options.js';
import { opt } from '../common/option-schemas.js';
import type { AudioProcessor } from './audio/audio-processor.interface.js';
import { VAD_THREADS, type VadThread } from './audio/silero-thread.js';

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
  /** Replaces the default audio processor (Silero VAD + DTMF); or provide one under `AUDIO_PROCESSOR`. */
  audioProcessor?: AudioProcessor;
  /**
   * Where the default audio processor runs: `analysis` (default: the whole analysis, energy gate, DTMF and Silero, in
   * a thread of its own at idle priority, so the event loop only copies frames to it; streams it leaves untaken for
   * 1 s go on as with `worker` until it has kept up for 1 s, see `ThreadedAudioProcessor`), `worker` (Silero alone
   * in a thread of its own at idle priority, the rest on the event loop; a batch it leaves waiting 250 ms runs on the
   * event loop, see `SileroWorkerModel`) or `main` (all on the event loop, which waits for every batch).
   */
  vadThread?: VadThread;
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
    vadThread: z.enum(VAD_THREADS, { error: `must be one of ${VAD_THREADS.join(', ')}` }).default('analysis'),
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
