/** Settings shared by the orchestrator, the app under test and the load generator. */
export const BENCH_ENV = {
  PUBLIC_URL: 'https://bench.callbridge.test',
  TWILIO_ACCOUNT_SID: 'AC' + '0123456789abcdef'.repeat(2),
  TWILIO_AUTH_TOKEN: 'bench-auth-token-0123456789',
  RETELL_API_KEY: 'bench-retell-key',
  RETELL_AGENT_ID: 'agent_bench',
  API_TOKEN: 'bench-api-token-0123456789',
  LOG_LEVEL: 'warn',
} as const;

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
}
