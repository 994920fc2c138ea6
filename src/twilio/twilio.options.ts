/** How the voice webhook brings the media gateway into a call. */
export type MediaStreamMode = 'fork' | 'relay' | 'off';

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
  /**
   * `fork` (default): `<Start><Stream track="both_tracks">` to the media gateway, then `<Dial><Sip>` to Retell.
   * `relay`: `<Connect><Stream>` to the media gateway, which relays to a raw-audio agent. `off`: Dial only.
   */
  mediaMode?: MediaStreamMode;
}

export interface ResolvedTwilioOptions {
  readonly accountSid: string;
  readonly authToken: string;
  readonly phoneNumber?: string;
  readonly apiBaseUrl?: string;
  /** No trailing slash. */
  readonly publicUrl: string;
  readonly fallbackMessage: string;
  readonly fallbackNumber?: string;
  readonly mediaMode: MediaStreamMode;
}

export const DEFAULT_FALLBACK_MESSAGE = 'Sorry, we cannot take your call right now. Please try again in a few minutes.';

/** Merges defaults and validates; a wrong option fails at boot with its name. */
export function resolveTwilioOptions(options: TwilioModuleOptions): ResolvedTwilioOptions {
  const resolved: ResolvedTwilioOptions = {
    accountSid: options.accountSid,
    authToken: options.authToken,
    phoneNumber: options.phoneNumber,
    apiBaseUrl: options.apiBaseUrl?.replace(/\/+$/, ''),
    publicUrl: (options.publicUrl ?? '').replace(/\/+$/, ''),
    fallbackMessage: options.fallbackMessage ?? DEFAULT_FALLBACK_MESSAGE,
    fallbackNumber: options.fallbackNumber,
    mediaMode: options.mediaMode ?? 'fork',
  };
  const problems: string[] = [];
  if (!/^AC[0-9a-f]{32}$/i.test(resolved.accountSid ?? ''))
    problems.push('accountSid must be AC followed by 32 hex digits');
  if (!resolved.authToken) problems.push('authToken is required');
  if (!/^https?:\/\//i.test(resolved.publicUrl) || !URL.canParse(resolved.publicUrl))
    problems.push('publicUrl must be an http(s) URL');
  if (resolved.apiBaseUrl !== undefined && !URL.canParse(resolved.apiBaseUrl))
    problems.push('apiBaseUrl must be a URL');
  if (!['fork', 'relay', 'off'].includes(resolved.mediaMode)) problems.push('mediaMode must be fork, relay or off');
  if (problems.length) throw new Error(`TwilioModule: ${problems.join('; ')}`);
  return resolved;
}
