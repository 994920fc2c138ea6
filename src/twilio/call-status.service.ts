import { BadRequestException, Injectable, Logger } from '@nestjs/common';
import type { CallRecord } from '../calls/call-record.js';
import { transition } from '../calls/call-state.js';
import { CallsService } from '../calls/calls.service.js';
import { CallLogContext } from '../logging/call-log-context.js';
import {
  TERMINAL_CALL_STATUSES,
  TWILIO_CALL_STATUSES,
  isCallStatus,
  type TwilioCallStatus,
  type TwilioParams,
} from '../protocol/twilio-webhooks.js';

/** Bound on the status history kept per call. */
const MAX_HISTORY = 50;

const statusRank = (s: TwilioCallStatus | undefined) => (s === undefined ? -1 : TWILIO_CALL_STATUSES.indexOf(s));

/**
 * Applies Twilio call status callbacks. They may arrive out of order: `SequenceNumber` decides which is newest, an
 * older one is kept in the history but changes nothing, and a terminal status is never left.
 */
@Injectable()
export class CallStatusService {
  private readonly logger = new Logger(CallStatusService.name);

  constructor(
    private readonly calls: CallsService,
    private readonly logContext: CallLogContext,
  ) {}

  async apply(params: TwilioParams): Promise<CallRecord | undefined> {
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
    let applied = false;
    const record = await this.calls.update(callSid, (d) => {
      const t = d.twilio;
      const newer =
        seq === undefined || t.lastSequenceNumber === undefined
          ? statusRank(status) > statusRank(t.status)
          : seq > t.lastSequenceNumber;
      applied = newer && !(t.status && TERMINAL_CALL_STATUSES.has(t.status));
      if (t.statusHistory.length < MAX_HISTORY) {
        t.statusHistory.push({
          status,
          sequenceNumber: seq,
          receivedAt: new Date().toISOString(),
          applied,
          callDuration: parseCount(params.CallDuration),
          sipResponseCode: parseCount(params.SipResponseCode),
        });
      }
      if (!applied) return;
      t.status = status;
      if (seq !== undefined) t.lastSequenceNumber = seq;
      if (TERMINAL_CALL_STATUSES.has(status)) {
        // Never reached an agent or a fallback → the call failed; otherwise it simply ended.
        const neverConnected = d.state === 'ringing' || d.state === 'registered';
        transition(
          d,
          status === 'completed' || !neverConnected ? 'ended' : 'failed',
          status === 'completed' ? undefined : status,
        );
      }
    });
    this.logger.log({ msg: 'call status', status, sequenceNumber: seq, applied });
    return record;
  }

  /** `POST /twilio/stream-status`: the only place a failed stream handshake shows. */
  async applyStreamStatus(params: TwilioParams): Promise<void> {
    const callSid = params.CallSid;
    if (!callSid) throw new BadRequestException({ error: 'missing_call_sid', message: 'CallSid is required' });
    this.logContext.assign({ callSid });
    const event = params.StreamEvent ?? 'unknown';
    if (event === 'stream-error') this.logger.warn({ msg: 'media stream error', error: params.StreamError });
    await this.calls.update(callSid, (d) => {
      if (d.twilio.streamEvents.length >= MAX_HISTORY) return false;
      d.twilio.streamEvents.push({
        event,
        streamSid: params.StreamSid,
        error: params.StreamError,
        receivedAt: new Date().toISOString(),
      });
    });
  }
}

function parseCount(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}
