/** Why a registration failed: the call record keeps it as the fallback reason. */
export type RetellRegistrationFailure = 'retell_timeout' | 'retell_error' | 'retell_unreachable';

/** `register-phone-call` did not give us a call_id in time. */
export class RetellRegistrationError extends Error {
  constructor(
    readonly reason: RetellRegistrationFailure,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RetellRegistrationError';
  }
}
