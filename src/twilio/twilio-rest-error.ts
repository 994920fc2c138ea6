import twilio from 'twilio';

/** A failed Twilio REST request, as the retry policy and the callers need to see it. */
export interface TwilioRestError {
  /** HTTP status Twilio answered with; absent when no response came. */
  readonly status?: number;
  /** Twilio's error code (20404, 21220, …), or the network error's code (`ECONNREFUSED`, `ECONNABORTED`, …). */
  readonly code?: number | string;
  readonly message: string;
  /** No response: the connection failed, reset or timed out. */
  readonly network: boolean;
  /** Certainly not applied by Twilio: refused before processing (429, 503) or never sent (no connection made). */
  readonly unapplied: boolean;
  /** Twilio 20404: the call no longer exists or has ended. */
  readonly gone: boolean;
}

/** Network errors raised before a request was written: the connection was never made. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** What kind of failure `err` (thrown by the `twilio` client) is. */
export function describeTwilioError(err: unknown): TwilioRestError {
  if (err instanceof twilio.RestException) {
    return {
      status: err.status,
      code: err.code,
      message: err.message,
      network: false,
      unapplied: err.status === 429 || err.status === 503,
      gone: err.code === 20404,
    };
  }
  // The client's HTTP layer (axios) gives network failures a string code and no response.
  const code = (err as { code?: unknown } | null)?.code;
  const hasResponse = (err as { response?: unknown } | null)?.response !== undefined;
  const network = typeof code === 'string' && !hasResponse;
  return {
    code: typeof code === 'string' ? code : undefined,
    message: err instanceof Error ? err.message : String(err),
    network,
    unapplied: network && NEVER_SENT.has(code),
    gone: false,
  };
}

/**
 * Which failures a request may be retried after. `transient` (the request may be applied twice without harm: a
 * hang-up, the fallback redirect): 429, any 5xx, any network failure. `unapplied` (applying it twice does harm: a
 * second call placed, a transfer rung twice): only failures where Twilio certainly did not apply it. Never a 4xx
 * other than 429.
 */
export type RetryPolicy = 'transient' | 'unapplied';

export function mayRetry(error: TwilioRestError, policy: RetryPolicy): boolean {
  if (error.unapplied) return true;
  if (policy === 'unapplied') return false;
  if (error.status !== undefined) return error.status >= 500;
  return error.network;
}
