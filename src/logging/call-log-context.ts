import { Injectable, Optional } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';

/** What every log line about a call carries. */
export interface CallLogFields {
  /** Twilio's `CallSid`. */
  readonly callSid?: string;
  readonly retellCallId?: string;
}

/**
 * Names the call the current request is about, so every later log line of the request carries it (`nestjs-pino`'s
 * request-scoped logger). Handlers call it once they know the call, which is after the signature guards: a forged
 * request never gets its claimed CallSid into the logs. Outside a request (a media socket, a timer), or in an app
 * without {@link LoggingModule}, it does nothing: code there puts the CallSid in its log fields itself.
 *
 * Each module that uses it lists it among its providers; it finds `nestjs-pino` when the app has it.
 */
@Injectable()
export class CallLogContext {
  constructor(@Optional() private readonly pino?: PinoLogger) {}

  assign(fields: CallLogFields): void {
    if (!this.pino) return;
    const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => typeof v === 'string' && v !== ''));
    if (Object.keys(defined).length === 0) return;
    try {
      this.pino.assign(defined);
    } catch {
      // Not inside a request: there is no request logger to name.
    }
  }
}
