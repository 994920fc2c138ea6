import { z } from 'zod';
import { LOG_LEVELS } from '../logging/log-level.js';

/** CPU priority of the audio analysis thread (`ThreadedAudioProcessorOptions.threadPriority`). */
const VAD_THREAD_PRIORITIES = ['idle', 'normal'] as const;

/** E.164 phone number, as Twilio expects in `To`/`From`. */
const E164 = /^\+[1-9]\d{6,14}$/;

// Messages name no variable (the error prefixes it) and never include the received value.
const REQUIRED = { error: 'is required' };

const httpUrl = () =>
  z
    .string(REQUIRED)
    .refine((v) => /^https?:\/\/[^\s/]+/i.test(v) && URL.canParse(v), { error: 'must be an http(s) URL' });

const wsUrl = () =>
  z
    .string(REQUIRED)
    .refine((v) => /^wss?:\/\/[^\s/]+/i.test(v) && URL.canParse(v), { error: 'must be a ws:// or wss:// URL' });

const intIn = (min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

/** Modes of the media gateway: fork = listen to both tracks and measure; relay = carry audio to a raw-audio agent. */
export const MEDIA_MODES = ['fork', 'relay', 'off'] as const;
export type MediaMode = (typeof MEDIA_MODES)[number];

/**
 * Every setting callbridge reads from the environment. Validation runs once at boot; errors name the variable and
 * never echo its value (several are secrets).
 */
export const EnvSchema = z.object({
  PORT: intIn(0, 65535, 3000),
  PUBLIC_URL: httpUrl().transform((v) => v.replace(/\/+$/, '')),
  TWILIO_ACCOUNT_SID: z
    .string(REQUIRED)
    .regex(/^AC[0-9a-fA-F]{32}$/, { error: 'must be AC followed by 32 hex digits' }),
  TWILIO_AUTH_TOKEN: z.string(REQUIRED).min(16, { error: 'is too short to be a Twilio auth token' }),
  TWILIO_PHONE_NUMBER: optionalString.refine((v) => v === undefined || E164.test(v), {
    error: 'must be an E.164 number such as +14155550100',
  }),
  TWILIO_API_BASE_URL: optionalString.pipe(httpUrl().optional()),
  RETELL_API_KEY: z.string(REQUIRED).min(8, { error: 'is too short to be an API key' }),
  RETELL_AGENT_ID: z.string(REQUIRED).min(1, { error: 'is empty' }),
  RETELL_BASE_URL: optionalString
    .transform((v) => v ?? 'https://api.retellai.com')
    .pipe(httpUrl())
    .transform((v) => v.replace(/\/+$/, '')),
  RETELL_SIP_DOMAIN: optionalString
    .transform((v) => v ?? 'sip.retellai.com')
    .pipe(z.string().regex(/^[a-z0-9.-]+$/i, { error: 'must be a host name' })),
  // Twilio gives up on a webhook after 15 s; the registration has to leave time for the fallback TwiML.
  RETELL_REGISTER_TIMEOUT_MS: intIn(100, 10_000, 2000),
  FALLBACK_MESSAGE: optionalString.transform(
    (v) => v ?? 'Sorry, we cannot take your call right now. Please try again in a few minutes.',
  ),
  FALLBACK_NUMBER: optionalString.refine((v) => v === undefined || E164.test(v), {
    error: 'must be an E.164 number such as +14155550100',
  }),
  MEDIA_MODE: optionalString
    .transform((v) => v ?? 'fork')
    .pipe(z.enum(MEDIA_MODES, { error: `must be one of ${MEDIA_MODES.join(', ')}` })),
  AGENT_STREAM_URL: optionalString.pipe(wsUrl().optional()),
  // The service runs alone in its container, so it takes the setting measured best there (docs/decisions/0012).
  VAD_THREAD_PRIORITY: optionalString
    .transform((v) => v ?? 'idle')
    .pipe(z.enum(VAD_THREAD_PRIORITIES, { error: `must be one of ${VAD_THREAD_PRIORITIES.join(', ')}` })),
  API_TOKEN: z.string(REQUIRED).min(16, { error: 'must be at least 16 characters' }),
  // Where calls are kept; unset = SQLite at ./data/callbridge.sqlite. The calls module parses it; this only names the
  // variable in a boot error (never its value: a PostgreSQL URL may hold a password).
  DATABASE_URL: optionalString.refine(
    (v) => v === undefined || v === 'memory:' || /^file:.+/.test(v) || /^postgres(ql)?:\/\/.+/i.test(v),
    { error: 'must be memory:, file:<path>, or a postgres:// or postgresql:// URL' },
  ),
  LOG_LEVEL: optionalString
    .transform((v) => v ?? 'info')
    .pipe(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })),
});

/**
 * Rules that tie one variable to another. Checked on the raw environment, beside the schema, so a boot with several
 * mistakes reports all of them at once.
 */
export const CONDITIONAL_RULES: readonly {
  readonly variable: string;
  readonly message: string;
  readonly violated: (env: Readonly<Record<string, string | undefined>>) => boolean;
}[] = [
  {
    variable: 'AGENT_STREAM_URL',
    message: 'is required when MEDIA_MODE=relay',
    violated: (env) => env.MEDIA_MODE?.trim() === 'relay' && !env.AGENT_STREAM_URL?.trim(),
  },
];

/** The validated, typed settings. */
export type AppEnv = z.output<typeof EnvSchema>;

/** Names of the variables {@link EnvSchema} reads, for documentation and `.env.example` checks. */
export const ENV_VARIABLES = Object.keys(EnvSchema.shape) as (keyof AppEnv)[];
