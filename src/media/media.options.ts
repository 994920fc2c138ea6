import type { AudioProcessor } from './audio/audio-processor.interface.js';
import { VAD_THREADS, type VadThread } from './audio/silero-thread.js';

/** Options of {@link MediaModule}. */
export interface MediaModuleOptions {
  /** `fork` (default): analyse both tracks; `relay`: carry audio to `agentStreamUrl`; `off`: refuse streams. */
  mode?: 'fork' | 'relay' | 'off';
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
  /** Frames above this close the socket (ws code 1009) before they are even buffered. Default 1 MiB. */
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

export interface ResolvedMediaOptions {
  readonly mode: 'fork' | 'relay' | 'off';
  readonly agentStreamUrl?: string;
  readonly audioProcessor?: AudioProcessor;
  readonly vadThread: VadThread;
  readonly maxFrameBytes: number;
  readonly maxSocketPayloadBytes: number;
  readonly maxFramesPerSecond: number;
  readonly floodCloseAfterMs: number;
  readonly deadAirThresholdMs: number;
  readonly analyticsFlushMs: number;
  readonly upstreamConnectTimeoutMs: number;
}

/** Merges defaults and validates. */
export function resolveMediaOptions(options: MediaModuleOptions = {}): ResolvedMediaOptions {
  const r: ResolvedMediaOptions = {
    mode: options.mode ?? 'fork',
    agentStreamUrl: options.agentStreamUrl,
    audioProcessor: options.audioProcessor,
    vadThread: options.vadThread ?? 'analysis',
    maxFrameBytes: options.maxFrameBytes ?? 64 * 1024,
    maxSocketPayloadBytes: options.maxSocketPayloadBytes ?? 1024 * 1024,
    maxFramesPerSecond: options.maxFramesPerSecond ?? 250,
    floodCloseAfterMs: options.floodCloseAfterMs ?? 3000,
    deadAirThresholdMs: options.deadAirThresholdMs ?? 2000,
    analyticsFlushMs: options.analyticsFlushMs ?? 2000,
    upstreamConnectTimeoutMs: options.upstreamConnectTimeoutMs ?? 3000,
  };
  const problems: string[] = [];
  if (!['fork', 'relay', 'off'].includes(r.mode)) problems.push('mode must be fork, relay or off');
  if (!(VAD_THREADS as readonly unknown[]).includes(r.vadThread))
    problems.push(`vadThread must be one of ${VAD_THREADS.join(', ')}`);
  if (r.mode === 'relay' && !(r.agentStreamUrl && /^wss?:\/\//.test(r.agentStreamUrl))) {
    problems.push('agentStreamUrl (ws:// or wss://) is required in relay mode');
  }
  for (const key of [
    'maxFrameBytes',
    'maxSocketPayloadBytes',
    'maxFramesPerSecond',
    'floodCloseAfterMs',
    'deadAirThresholdMs',
    'analyticsFlushMs',
    'upstreamConnectTimeoutMs',
  ] as const) {
    if (!Number.isInteger(r[key]) || r[key] <= 0) problems.push(`${key} must be a positive integer`);
  }
  if (r.maxSocketPayloadBytes < r.maxFrameBytes) problems.push('maxSocketPayloadBytes must be at least maxFrameBytes');
  if (problems.length) throw new Error(`MediaModule: ${problems.join('; ')}`);
  return r;
}
