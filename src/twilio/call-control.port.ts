/**
 * What became of one change to a live call: `updated` when Twilio applied it, `gone` when the call had already ended
 * (Twilio error 20404: nothing left to change), `failed` when it could not be applied (a 4xx, or retries used up).
 */
export interface CallControlResult {
  readonly outcome: 'updated' | 'gone' | 'failed';
  /** REST attempts made (1 when the first one settled it). */
  readonly attempts: number;
  /** Why it failed: Twilio's HTTP status and error code, or the network error's code. */
  readonly error?: { readonly status?: number; readonly code?: number | string; readonly message: string };
}

/** How {@link CallControl.redirect} may retry. */
export interface RedirectOptions {
  /**
   * The TwiML may run twice without harm (a message, a hang-up): retry after any transient error, timeouts included.
   * Default false: retry only when Twilio certainly did not apply the first attempt (connection refused, 429, 503),
   * since a transfer applied twice rings its target twice.
   */
  readonly idempotent?: boolean;
}

/**
 * The one way to move a live call, owned by `twilio/` (Twilio REST `calls(CallSid).update`). The media gateway and the
 * escalation module use it; nothing outside `twilio/` touches the REST client. Methods never throw: the result says
 * what happened. Errors worth retrying (429, 5xx, network) are retried with exponential backoff and jitter within a
 * bounded time (`TwilioModuleOptions.rest`); a 4xx other than 429 never is.
 *
 * Provide another implementation under {@link CALL_CONTROL} to move calls some other way (tests, another carrier).
 */
export interface CallControl {
  /** Sends the call to the fallback TwiML: the fallback message, then the fallback number or a hang-up. */
  redirectToFallback(callSid: string): Promise<CallControlResult>;
  /** Replaces what the call is doing with `twiml` (e.g. `<Dial>` a transfer target); absolute URLs only. */
  redirect(callSid: string, twiml: string, options?: RedirectOptions): Promise<CallControlResult>;
  /** Ends the call. `gone` means it had already ended. */
  hangUp(callSid: string): Promise<CallControlResult>;
}

/** Injection token of the {@link CallControl} port; TwilioModule provides the REST implementation. */
export const CALL_CONTROL = Symbol('CallControl');
