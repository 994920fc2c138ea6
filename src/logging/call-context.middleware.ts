import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { callContext } from './call-context.js';

/**
 * Opens a log context per HTTP request, named after the call when the body says which (Twilio's `CallSid`, or
 * Retell's `call.metadata.twilio_call_sid` / `call.call_id`). Handlers may name it later with `callContext.set`.
 */
@Injectable()
export class CallContextMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    const body: unknown = req.body;
    const fields: { callSid?: string; retellCallId?: string } = {};
    if (typeof body === 'object' && body !== null) {
      const b = body as Record<string, unknown>;
      if (typeof b.CallSid === 'string') fields.callSid = b.CallSid;
      const call = b.call as Record<string, unknown> | undefined;
      if (call && typeof call === 'object') {
        if (typeof call.call_id === 'string') fields.retellCallId = call.call_id;
        const sid = (call.metadata as Record<string, unknown> | undefined)?.twilio_call_sid;
        if (typeof sid === 'string') fields.callSid = sid;
      }
    }
    callContext.run(fields, next);
  }
}
