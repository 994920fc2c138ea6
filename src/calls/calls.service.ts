import { Inject, Injectable } from '@nestjs/common';
import type { CallPage, CallRecord, CallState } from './call-record.js';
import { newCallRecord, transition } from './call-state.js';
import { CALL_STORE, type CallStore } from './call-store.interface.js';

/** Input of {@link CallsService.open}. */
export type OpenCallInput = Parameters<typeof newCallRecord>[0];

/**
 * The call record's operations shared by every module: open once, move along the state machine, change atomically.
 * Protocol-specific changes (Twilio statuses, Retell events, media analytics) live with their modules and go through
 * {@link CallsService.update}.
 */
@Injectable()
export class CallsService {
  constructor(@Inject(CALL_STORE) private readonly store: CallStore) {}

  /** Creates the record unless it exists; `created` tells the first caller apart from repeats. */
  open(input: OpenCallInput): Promise<{ record: CallRecord; created: boolean }> {
    return this.store.insert(newCallRecord(input));
  }

  get(callSid: string): Promise<CallRecord | undefined> {
    return this.store.get(callSid);
  }

  findByRetellCallId(retellCallId: string): Promise<CallRecord | undefined> {
    return this.store.findByRetellCallId(retellCallId);
  }

  list(limit: number, cursor?: string): Promise<CallPage> {
    return this.store.list({ limit, cursor });
  }

  /** Atomic change; stamps `updatedAt` when something changed. See {@link CallStore.update}. */
  update(callSid: string, change: (draft: CallRecord) => boolean | void): Promise<CallRecord | undefined> {
    return this.store.update(callSid, (draft) => {
      if (change(draft) === false) return false;
      draft.updatedAt = new Date().toISOString();
      return true;
    });
  }

  /** Moves the call to `to` unless that would go backwards; `reason` says why (kept on the record). */
  transition(callSid: string, to: CallState, reason?: string): Promise<CallRecord | undefined> {
    return this.store.update(callSid, (draft) => transition(draft, to, reason));
  }
}
