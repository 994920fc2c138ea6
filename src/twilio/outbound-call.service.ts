import {
  BadGatewayException,
  Inject,
  Injectable,
  Logger,
  ServiceUnavailableException,
  UnprocessableEntityException,
} from '@nestjs/common';
import type twilio from 'twilio';
import { CallsService } from '../calls/calls.service.js';
import { CallLogContext } from '../logging/call-log-context.js';
import { TWILIO_CLIENT } from './twilio-client.token.js';
import { RESOLVED_TWILIO_OPTIONS, TWILIO_PATHS } from './twilio.constants.js';
import type { ResolvedTwilioOptions } from './twilio.options.js';
import type { TwilioRestError } from './twilio-rest-error.js';
import { TwilioRestRetry } from './twilio-rest-retry.js';

/** An outbound call to place. */
export interface OutboundCallRequest {
  /** E.164 number to call. */
  readonly to: string;
  /** Retell agent; default the module's. */
  readonly agentId?: string;
  /** Stored on the record and passed to Retell as call metadata. */
  readonly metadata?: Record<string, unknown>;
  /** Retell LLM dynamic variables. */
  readonly dynamicVariables?: Record<string, string>;
}

/**
 * Places outbound calls through Twilio REST. Twilio then requests our voice webhook when the callee answers, which
 * registers the call with Retell exactly as for an inbound call.
 *
 * `calls.create` is retried only after failures where Twilio certainly created nothing (connection refused, 429, 503):
 * after a timeout or a reset the call may exist, and a retry would ring the callee twice.
 */
@Injectable()
export class OutboundCallService {
  private readonly logger = new Logger(OutboundCallService.name);

  constructor(
    @Inject(TWILIO_CLIENT) private readonly client: twilio.Twilio,
    @Inject(RESOLVED_TWILIO_OPTIONS) private readonly options: ResolvedTwilioOptions,
    private readonly calls: CallsService,
    private readonly retry: TwilioRestRetry,
    private readonly logContext: CallLogContext,
  ) {}

  async place(request: OutboundCallRequest): Promise<{ callSid: string }> {
    const from = this.options.phoneNumber;
    if (!from) {
      throw new ServiceUnavailableException({
        error: 'outbound_not_configured',
        message: 'TWILIO_PHONE_NUMBER is not set',
      });
    }
    const created = await this.retry.run('create', 'unapplied', () =>
      this.client.calls.create({
        to: request.to,
        from,
        url: this.options.publicUrl + TWILIO_PATHS.voice,
        method: 'POST',
        statusCallback: this.options.publicUrl + TWILIO_PATHS.status,
        statusCallbackMethod: 'POST',
        statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      }),
    );
    if (!created.ok) throw this.toHttpError(created.error, created.attempts);
    const sid = created.value.sid;
    this.logContext.assign({ callSid: sid });
    // If a status callback got here first and opened the record, this adds what only this request knows.
    await this.calls.open({
      callSid: sid,
      direction: 'outbound',
      from,
      to: request.to,
      agentId: request.agentId,
      metadata: request.metadata,
      dynamicVariables: request.dynamicVariables,
    });
    this.logger.log({ msg: 'outbound call placed', to: request.to, attempts: created.attempts });
    return { callSid: sid };
  }

  /**
   * Twilio's 4xx (bad number, unverified caller ID, …) is the client's problem; a 429 that outlasted the retries, a
   * 5xx or no answer at all is ours upstream.
   */
  private toHttpError(err: TwilioRestError, attempts: number): Error {
    if (err.status !== undefined && err.status >= 400 && err.status < 500 && err.status !== 429) {
      return new UnprocessableEntityException({ error: 'twilio_rejected', twilioCode: err.code, message: err.message });
    }
    this.logger.error({
      msg: 'twilio calls.create failed',
      status: err.status,
      code: err.code,
      error: err.message,
      attempts,
    });
    return new BadGatewayException({ error: 'twilio_unavailable', message: 'Twilio did not accept the call' });
  }
}
