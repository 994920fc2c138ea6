import { Inject, Injectable, Logger } from '@nestjs/common';
import type twilio from 'twilio';
import type { CallControl, CallControlResult, RedirectOptions } from './call-control.port.js';
import { TWILIO_CLIENT } from './twilio-client.token.js';
import type { RetryPolicy } from './twilio-rest-error.js';
import { TwilioRestRetry, type RestOperation } from './twilio-rest-retry.js';
import { TwimlFactory } from './twiml.factory.js';

/** The default {@link CallControl}: Twilio REST `calls(CallSid).update`, retried by {@link TwilioRestRetry}. */
@Injectable()
export class TwilioCallControl implements CallControl {
  private readonly logger = new Logger(TwilioCallControl.name);

  constructor(
    @Inject(TWILIO_CLIENT) private readonly client: twilio.Twilio,
    private readonly retry: TwilioRestRetry,
    private readonly twiml: TwimlFactory,
  ) {}

  /** The fallback TwiML starting over after a retry only replays the message: retried like any idempotent update. */
  redirectToFallback(callSid: string): Promise<CallControlResult> {
    return this.update(callSid, 'fallback', 'transient', { twiml: this.twiml.fallback() });
  }

  redirect(callSid: string, twiml: string, options: RedirectOptions = {}): Promise<CallControlResult> {
    return this.update(callSid, 'redirect', options.idempotent ? 'transient' : 'unapplied', { twiml });
  }

  hangUp(callSid: string): Promise<CallControlResult> {
    return this.update(callSid, 'hangup', 'transient', { status: 'completed' });
  }

  private async update(
    callSid: string,
    operation: RestOperation,
    policy: RetryPolicy,
    change: { twiml: string } | { status: 'completed' },
  ): Promise<CallControlResult> {
    const result = await this.retry.run(operation, policy, () => this.client.calls(callSid).update(change));
    if (result.ok) return { outcome: 'updated', attempts: result.attempts };
    const { status, code, message, gone } = result.error;
    if (gone) return { outcome: 'gone', attempts: result.attempts };
    this.logger.error({
      msg: `twilio ${operation} failed`,
      callSid,
      status,
      code,
      error: message,
      attempts: result.attempts,
    });
    return { outcome: 'failed', attempts: result.attempts, error: { status, code, message } };
  }
}
