import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import pRetry from 'p-retry';
import { MetricsService } from '../metrics/metrics.service.js';
import { RESOLVED_TWILIO_OPTIONS } from './twilio.constants.js';
import type { ResolvedTwilioOptions } from './twilio.options.js';
import { describeTwilioError, mayRetry, type RetryPolicy, type TwilioRestError } from './twilio-rest-error.js';

/** What a REST request was for: the `operation` label of `callbridge_twilio_rest_attempts_total`. */
export type RestOperation = 'create' | 'redirect' | 'fallback' | 'hangup';

/** How a retried request ended. */
export type RestOutcome<T> =
  | { readonly ok: true; readonly value: T; readonly attempts: number }
  | { readonly ok: false; readonly error: TwilioRestError; readonly attempts: number };

/**
 * Runs Twilio REST requests with retries (p-retry): exponential backoff from `rest.minDelayMs`, doubling, capped at
 * `rest.maxDelayMs`, each delay times a random factor from 1 to 2 so many calls failing at once do not retry in step;
 * at most `rest.retries` retries, none started after `rest.maxElapsedMs`. Which errors are retried is the caller's
 * {@link RetryPolicy}. Every attempt is counted. Shutdown cuts a backoff short (the request then fails).
 */
@Injectable()
export class TwilioRestRetry implements OnApplicationShutdown {
  private readonly shutdown = new AbortController();

  constructor(
    @Inject(RESOLVED_TWILIO_OPTIONS) private readonly options: ResolvedTwilioOptions,
    private readonly metrics: MetricsService,
  ) {}

  async run<T>(operation: RestOperation, policy: RetryPolicy, request: () => Promise<T>): Promise<RestOutcome<T>> {
    const rest = this.options.rest;
    let attempts = 0;
    let last: TwilioRestError | undefined;
    try {
      const value = await pRetry(
        async () => {
          attempts += 1;
          try {
            return await request();
          } catch (err) {
            last = describeTwilioError(err);
            throw err instanceof Error ? err : new Error(last.message);
          }
        },
        {
          retries: rest.retries,
          factor: 2,
          minTimeout: rest.minDelayMs,
          maxTimeout: rest.maxDelayMs,
          randomize: true,
          maxRetryTime: rest.maxElapsedMs,
          signal: this.shutdown.signal,
          shouldRetry: () => last !== undefined && mayRetry(last, policy),
        },
      );
      this.count(operation, attempts, 'ok');
      return { ok: true, value, attempts };
    } catch (err) {
      const error = last ?? describeTwilioError(err);
      this.count(operation, attempts, error.gone ? 'gone' : 'failed');
      return { ok: false, error, attempts };
    }
  }

  onApplicationShutdown(): void {
    this.shutdown.abort();
  }

  private count(operation: RestOperation, attempts: number, result: 'ok' | 'gone' | 'failed'): void {
    if (attempts > 1) this.metrics.twilioRestAttempts.inc({ operation, result: 'retried' }, attempts - 1);
    if (attempts > 0) this.metrics.twilioRestAttempts.inc({ operation, result });
  }
}
