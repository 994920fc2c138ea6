import { Inject, Injectable, Logger } from '@nestjs/common';
import Retell, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'retell-sdk';
import { MetricsService } from '../metrics/metrics.service.js';
import { RESOLVED_RETELL_OPTIONS, RETELL_CLIENT } from './retell.constants.js';
import type { ResolvedRetellOptions } from './retell.options.js';
import { RetellRegistrationError } from './retell-registration.error.js';

/** What to register: one Twilio call about to be dialled to Retell over SIP. */
export interface PhoneCallRegistration {
  readonly callSid: string;
  readonly direction: 'inbound' | 'outbound';
  readonly from: string;
  readonly to: string;
  /** Default: the module's `agentId`. */
  readonly agentId?: string;
  /** Stored by Retell and echoed in every webhook; `twilio_call_sid` is always added. */
  readonly metadata?: Record<string, unknown>;
  readonly dynamicVariables?: Record<string, string>;
}

/** A registered call: dial `sipUri` within 5 minutes or Retell drops it (`registered_call_timeout`). */
export interface RegisteredCall {
  readonly callId: string;
  readonly agentId: string;
  readonly sipUri: string;
}

/**
 * Registers phone calls with Retell (`POST /v2/register-phone-call`) under a hard deadline. The SDK's own timeout
 * and retries are not enough on a webhook's clock: a retry after a slow first attempt would blow Twilio's 15 s, so
 * the service gives one attempt `registerTimeoutMs` and aborts it at the deadline.
 */
@Injectable()
export class RetellRegistrationService {
  private readonly logger = new Logger(RetellRegistrationService.name);

  constructor(
    @Inject(RETELL_CLIENT) private readonly client: Retell,
    @Inject(RESOLVED_RETELL_OPTIONS) private readonly options: ResolvedRetellOptions,
    private readonly metrics: MetricsService,
  ) {}

  /** How long one registration may take before it counts as failed (ms). */
  get timeoutMs(): number {
    return this.options.registerTimeoutMs;
  }

  /** The SIP URI Twilio dials for a registered call. */
  sipUri(callId: string): string {
    return `sip:${callId}@${this.options.sipDomain};transport=tcp`;
  }

  /**
   * Timed in `callbridge_retell_registration_seconds{outcome}` (`ok` or the failure reason).
   * @throws {RetellRegistrationError} on timeout, an HTTP error or an unreachable API.
   */
  async register(input: PhoneCallRegistration): Promise<RegisteredCall> {
    const timer = this.metrics.retellRegistrations.startTimer();
    try {
      const registered = await this.registerOnce(input);
      timer({ outcome: 'ok' });
      return registered;
    } catch (err) {
      timer({ outcome: err instanceof RetellRegistrationError ? err.reason : 'retell_error' });
      throw err;
    }
  }

  private async registerOnce(input: PhoneCallRegistration): Promise<RegisteredCall> {
    const timeoutMs = this.options.registerTimeoutMs;
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new RetellRegistrationError('retell_timeout', `register-phone-call took longer than ${timeoutMs} ms`));
      }, timeoutMs);
    });
    const started = performance.now();
    try {
      const response = await Promise.race([
        this.client.call.registerPhoneCall(
          {
            agent_id: input.agentId ?? this.options.agentId,
            direction: input.direction,
            from_number: input.from,
            to_number: input.to,
            metadata: { ...input.metadata, twilio_call_sid: input.callSid },
            retell_llm_dynamic_variables: input.dynamicVariables,
          },
          // The deadline above is the only clock: the SDK's own timeout would race it and, in some runtimes, surface
          // as a connection error instead of a timeout.
          { signal: abort.signal, maxRetries: 0 },
        ),
        deadline,
      ]);
      this.logger.log({
        msg: 'retell call registered',
        retellCallId: response.call_id,
        ms: Math.round(performance.now() - started),
      });
      return { callId: response.call_id, agentId: response.agent_id, sipUri: this.sipUri(response.call_id) };
    } catch (err) {
      if (abort.signal.aborted)
        throw new RetellRegistrationError('retell_timeout', `register-phone-call took longer than ${timeoutMs} ms`);
      throw this.toRegistrationError(err, timeoutMs);
    } finally {
      clearTimeout(timer);
    }
  }

  private toRegistrationError(err: unknown, timeoutMs: number): RetellRegistrationError {
    if (err instanceof RetellRegistrationError) return err;
    if (err instanceof APIConnectionTimeoutError || err instanceof APIUserAbortError) {
      return new RetellRegistrationError('retell_timeout', `register-phone-call took longer than ${timeoutMs} ms`);
    }
    if (err instanceof APIConnectionError) {
      return new RetellRegistrationError('retell_unreachable', `Retell API unreachable: ${err.message}`);
    }
    if (err instanceof APIError) {
      return new RetellRegistrationError('retell_error', `Retell answered ${err.status}: ${err.message}`, err.status);
    }
    return new RetellRegistrationError('retell_error', err instanceof Error ? err.message : String(err));
  }
}
