import { BadRequestException, Injectable, Logger } from '@nestjs/common';
import type { StatusOutcome } from '../calls/call-store.interface.js';
import { CallsService } from '../calls/calls.service.js';
import { CallLogContext } from '../logging/call-log-context.js';
import { isCallStatus, type TwilioParams } from '../protocol/twilio-webhooks.js';

/**
 * Applies Twilio call status callbacks. They may arrive out of order: the store keeps each (CallSid,
 * SequenceNumber) once, applies only the newest, and never leaves a terminal status (`CallStore.applyStatus`).
 */
@Injectable()
export class CallStatusService {
  private readonly logger = new Logger(CallStatusService.name);

  constructor(
    private readonly calls: CallsService,
    private readonly logContext: CallLogContext,
  ) {}

  async apply(params: TwilioParams): Promise<StatusOutcome> {
    const { CallSid: callSid, CallStatus: status } = params;
    if (!callSid) throw new BadRequestException({ error: 'missing_call_sid', message: 'CallSid is required' });
    if (!isCallStatus(status))
      throw new BadRequestException({ error: 'bad_status', message: 'CallStatus is not a Twilio call status' });
    this.logContext.assign({ callSid });
    const seq = parseCount(params.SequenceNumber);
    // A callback can be the first we hear of a call (an outbound call's `initiated`): open the record from it.
    await this.calls.open({
      callSid,
      direction: params.Direction?.startsWith('outbound') ? 'outbound' : 'inbound',
      from: params.From ?? '',
      to: params.To ?? '',
    });
    const outcome = await this.calls.applyStatus(callSid, {
      status,
      sequenceNumber: seq,
      callDuration: parseCount(params.CallDuration),
      sipResponseCode: parseCount(params.SipResponseCode),
    });
    this.logger.log({ msg: 'call status', status, sequenceNumber: seq, outcome });
    return outcome;
  }

  /** `POST /twilio/stream-status`: the only place a failed stream handshake shows. */
  async applyStreamStatus(params: TwilioParams): Promise<void> {
    const callSid = params.CallSid;
    if (!callSid) throw new BadRequestException({ error: 'missing_call_sid', message: 'CallSid is required' });
    this.logContext.assign({ callSid });
    const event = params.StreamEvent ?? 'unknown';
    if (event === 'stream-error') this.logger.warn({ msg: 'media stream error', error: params.StreamError });
    await this.calls.recordStreamEvent(callSid, { event, streamSid: params.StreamSid, error: params.StreamError });
  }
}

/** Counts Twilio sends as strings; anything else (or beyond a 32-bit column) is treated as absent. */
function parseCount(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 && n <= 2_147_483_647 ? n : undefined;
}
