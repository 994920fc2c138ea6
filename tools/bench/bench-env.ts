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
 * them in step), and the bench gives them to every process under test, the floor included. A 32 MiB semi-space keeps
 * each frame's short-lived garbage out of the old generation, and parallel scavenge only waits for helpers on busy
 * cores (docs/decisions/0013-production-node-flags.md).
 */
export const PRODUCTION_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32', '--no-parallel-scavenge'];

/** What Twilio would sign: the `wss://` URL as written in the TwiML. */
export const SIGNED_STREAM_URL = 'wss://bench.callbridge.test/twilio/media';

/** Values of the service's `VAD_THREAD_PRIORITY` setting. */
export const VAD_THREAD_PRIORITIES = ['idle', 'normal'] as const;
export type VadThreadPriority = (typeof VAD_THREAD_PRIORITIES)[number];

/** Configuration of a target process (app or pipe), passed in `BENCH_TARGET` as JSON. */
export interface TargetConfig {
  readonly mode: 'fork' | 'relay' | 'pipe' | 'pipe2';
  readonly agentUrl: string;
  /** App only: record every media frame's arrival at its session (joined with send times afterwards). */
  readonly probe?: { readonly calls: number; readonly maxFrames: number };
  /** Keep a timeline of stalls and GC pauses (costs a 1 ms timer; only with --dump). */
  readonly trace?: boolean;
  /** App only: its analysis thread's priority (`VAD_THREAD_PRIORITY`); unset = the service's default. */
  readonly vadPriority?: VadThreadPriority;
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
