import type { VadThread } from '../../src/media/audio/silero-thread.js';

/** Settings shared by the orchestrator, the app under test and the load generator. */
export const BENCH_ENV = {
  PUBLIC_URL: 'https://bench.callbridge.test',
  TWILIO_ACCOUNT_SID: 'AC' + '0123456789abcdef'.repeat(2),
  TWILIO_AUTH_TOKEN: 'bench-auth-token-0123456789',
  RETELL_API_KEY: 'bench-retell-key',
  RETELL_AGENT_ID: 'agent_bench',
  API_TOKEN: 'bench-api-token-0123456789',
  // The bench measures media handling: calls are kept in memory, so no database write shares its figures.
  DATABASE_URL: 'memory:',
  LOG_LEVEL: 'warn',
} as const;

/**
 * Node flags the service runs with in production: `npm start` and the Dockerfile's `CMD` pass the same (a spec keeps
 * them in step), and the bench gives them to every process under test, the floor included.
 *
 * A 32 MiB semi-space (V8's default tops out at 16 MiB): at 200 relayed calls the young generation fills with each
 * frame's short-lived buffers, strings and parsed objects every few hundred milliseconds, and a small one promotes
 * some of them, so old-generation collections follow. Measured with the bench (relay, 200 calls, median of 3 runs
 * each): 128 → 64 collections in the 20 s window, CPU 73 → 68 % of a core, relay p99 4.38 → 2.81 ms, for about
 * 30 MiB more RSS. The floor is given the same flags (its p99 moved 1.65 → 1.50 ms).
 *
 * No parallel scavenge: what survives a young collection here is small (about 60 KiB median, relay at 120 calls,
 * `--trace-gc-nvp`), so helper threads have little to share out, and on a box whose cores are busy (the calls, the
 * kernel's network work) the pause waits for helpers that are not running. Measured with the bench (200 calls, three
 * pairs of runs, 2026-11-29): GC pause time in the 20 s window relay 152 / 165 / 210 → 123 / 123 / 136 ms, the floor
 * 169 / 175 / 173 → 126 / 139 / 110 ms, every pair lower; CPU unchanged. (The box was saturated that day and p99 moved
 * with the load, not the flag.)
 */
export const PRODUCTION_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32', '--no-parallel-scavenge'];

/** What Twilio would sign: the `wss://` URL as written in the TwiML. */
export const SIGNED_STREAM_URL = 'wss://bench.callbridge.test/twilio/media';

/** Configuration of a target process (app or pipe), passed in `BENCH_TARGET` as JSON. */
export interface TargetConfig {
  readonly mode: 'fork' | 'relay' | 'pipe' | 'pipe2';
  readonly agentUrl: string;
  /** App only: record every media frame's arrival at its session (joined with send times afterwards). */
  readonly probe?: { readonly calls: number; readonly maxFrames: number };
  /** Keep a timeline of stalls and GC pauses (costs a 1 ms timer; only with --dump). */
  readonly trace?: boolean;
  /** App only: where it runs the audio analysis (`VAD_THREAD`). */
  readonly vadThread?: VadThread;
}

/** The app target's audio counters over a window, sent beside its `ProcWindow` (`read`): the model's, and the analysis thread's moves. */
export interface AppAudioWindow {
  readonly runs: number;
  readonly windows: number;
  readonly largestBatch: number;
  readonly skipped: number;
  readonly modelWindows: number;
  readonly streamsMoved: number;
  /** How long each model run blocked the event loop (runs on the event loop only). */
  readonly runMs: {
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
    readonly totalMs: number;
    readonly windows: number;
  };
}
