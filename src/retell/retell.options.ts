import { z } from 'zod';
import { parseModuleOptions } from '../common/module-options.js';
import { opt } from '../common/option-schemas.js';

/** Options of {@link RetellModule}. */
export interface RetellModuleOptions {
  /** Retell API key: authenticates REST calls and signs webhooks. */
  apiKey: string;
  /** Agent used when a call does not name one. */
  agentId: string;
  /** Default `https://api.retellai.com`; point at an emulator in tests. */
  baseUrl?: string;
  /** Host of Retell's SIP endpoint. Default `sip.retellai.com`. */
  sipDomain?: string;
  /**
   * Hard limit on `register-phone-call`, ms. Default 2000. Twilio waits 15 s for TwiML; past this the caller gets
   * the fallback instead of silence.
   */
  registerTimeoutMs?: number;
}

const RetellOptionsSchema = z.strictObject({
  apiKey: opt.text(),
  agentId: opt.text(),
  baseUrl: opt.httpUrl().default('https://api.retellai.com'),
  sipDomain: z
    .string()
    .regex(/^[a-z0-9.-]+$/i, { error: 'must be a host name' })
    .default('sip.retellai.com'),
  registerTimeoutMs: z
    .number()
    .refine((n) => Number.isInteger(n) && n >= 1 && n <= 14_000, {
      error: 'must be an integer from 1 to 14000 (Twilio waits 15 s)',
    })
    .default(2000),
});

export type ResolvedRetellOptions = Readonly<z.output<typeof RetellOptionsSchema>>;

/** Merges defaults and validates: a module configured wrong fails at boot, naming every bad option. */
export function resolveRetellOptions(options: RetellModuleOptions): ResolvedRetellOptions {
  return parseModuleOptions('RetellModule', RetellOptionsSchema, options);
}
