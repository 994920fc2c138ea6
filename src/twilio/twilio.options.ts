import { z } from 'zod';
import { parseModuleOptions } from '../common/module-options.js';
import { opt } from '../common/option-schemas.js';

/** How REST calls to Twilio are timed and retried (see `TwilioRestRetry`). */
export interface TwilioRestOptions {
  /** One request's timeout, ms. Default 5000 (the SDK's own is 30 s: too long for a caller waiting in silence). */
  timeoutMs?: number;
  /** Retries after the first attempt, when the error allows one. Default 3. */
  retries?: number;
  /** First backoff, ms; doubles each retry, times a random factor from 1 to 2 (jitter). Default 250. */
  minDelayMs?: number;
  /** Cap on one backoff, ms. Default 2000. */
  maxDelayMs?: number;
  /** No retry starts once this long has passed since the first attempt, ms. Default 8000. */
  maxElapsedMs?: number;
}

/** Options of {@link TwilioModule}. */
export interface TwilioModuleOptions {
  accountSid: string;
  /** Signs every webhook Twilio sends us, and authenticates REST calls. */
  authToken: string;
  /** Caller ID of outbound calls; without it `POST /calls` answers 503. */
  phoneNumber?: string;
  /** Replaces `https://api.twilio.com` (an emulator in tests; a regional edge in production). */
  apiBaseUrl?: string;
  /**
   * Where Twilio reaches this service, e.g. `https://voice.example.com`. Signatures are checked against it, never the
   * Host header: behind a TLS proxy the request Nest sees is `http://internal-host`.
   */
  publicUrl: string;
  /** Said to the caller when the agent cannot be reached. */
  fallbackMessage?: string;
  /** E.164 number the caller is put through to after the fallback message; without it the call hangs up. */
  fallbackNumber?: string;
  /** REST timeouts and retries (outbound calls, redirects, hang-ups). */
  rest?: TwilioRestOptions;
}

export const DEFAULT_FALLBACK_MESSAGE = 'Sorry, we cannot take your call right now. Please try again in a few minutes.';

const E164 = /^\+[1-9]\d{6,14}$/;
const e164 = () => z.string().regex(E164, { error: 'must be an E.164 number such as +14155550100' });

const RestSchema = z
  .strictObject({
    timeoutMs: opt.int(100, 60_000).default(5000),
    retries: opt.int(0, 10).default(3),
    minDelayMs: opt.int(0, 60_000).default(250),
    maxDelayMs: opt.int(0, 60_000).default(2000),
    maxElapsedMs: opt.int(0, 120_000).default(8000),
  })
  .superRefine(
    (r, ctx) => {
      if (typeof r.minDelayMs === 'number' && typeof r.maxDelayMs === 'number' && r.maxDelayMs < r.minDelayMs)
        ctx.addIssue({ code: 'custom', path: ['maxDelayMs'], message: 'must be at least minDelayMs' });
    },
    { when: () => true },
  );

const TwilioOptionsSchema = z.strictObject({
  accountSid: z.string().regex(/^AC[0-9a-f]{32}$/i, { error: 'must be AC followed by 32 hex digits' }),
  authToken: opt.text(),
  phoneNumber: e164().optional(),
  apiBaseUrl: opt.httpUrl().optional(),
  publicUrl: opt.httpUrl(),
  fallbackMessage: opt.text().default(DEFAULT_FALLBACK_MESSAGE),
  fallbackNumber: e164().optional(),
  rest: RestSchema.default(RestSchema.parse({})),
});

/** {@link TwilioModuleOptions} with defaults applied; URLs without a trailing slash. */
export type ResolvedTwilioOptions = Readonly<z.output<typeof TwilioOptionsSchema>>;
/** {@link TwilioRestOptions} with defaults applied. */
export type ResolvedTwilioRestOptions = ResolvedTwilioOptions['rest'];

/** Merges defaults and validates; a wrong option fails at boot, naming every bad one. */
export function resolveTwilioOptions(options: TwilioModuleOptions): ResolvedTwilioOptions {
  return parseModuleOptions('TwilioModule', TwilioOptionsSchema, options);
}
