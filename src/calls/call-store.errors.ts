import { ServiceUnavailableException } from '@nestjs/common';

/**
 * The call store's database cannot be reached (refused, dropped, timed out, locked). An HTTP handler that lets it
 * through answers 503, so Twilio and Retell retry the webhook later instead of losing it; the store recovers by
 * itself when the database is back.
 */
export class CallStoreUnavailableError extends ServiceUnavailableException {
  constructor(
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super({ error: 'store_unavailable', message: 'The call store is unavailable; retry later' }, options);
  }
}
