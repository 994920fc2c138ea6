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

export interface ResolvedRetellOptions {
  readonly apiKey: string;
  readonly agentId: string;
  readonly baseUrl: string;
  readonly sipDomain: string;
  readonly registerTimeoutMs: number;
}

/** Merges defaults and validates: a module configured wrong fails at boot, naming the option. */
export function resolveRetellOptions(options: RetellModuleOptions): ResolvedRetellOptions {
  const resolved = {
    apiKey: options.apiKey,
    agentId: options.agentId,
    baseUrl: (options.baseUrl ?? 'https://api.retellai.com').replace(/\/+$/, ''),
    sipDomain: options.sipDomain ?? 'sip.retellai.com',
    registerTimeoutMs: options.registerTimeoutMs ?? 2000,
  };
  const problems: string[] = [];
  if (!resolved.apiKey) problems.push('apiKey is required');
  if (!resolved.agentId) problems.push('agentId is required');
  if (!URL.canParse(resolved.baseUrl)) problems.push('baseUrl must be a URL');
  if (!/^[a-z0-9.-]+$/i.test(resolved.sipDomain)) problems.push('sipDomain must be a host name');
  if (
    !Number.isInteger(resolved.registerTimeoutMs) ||
    resolved.registerTimeoutMs < 1 ||
    resolved.registerTimeoutMs > 14_000
  ) {
    problems.push('registerTimeoutMs must be an integer from 1 to 14000 (Twilio waits 15 s)');
  }
  if (problems.length) throw new Error(`RetellModule: ${problems.join('; ')}`);
  return resolved;
}
