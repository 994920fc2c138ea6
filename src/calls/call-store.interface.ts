import type { CallPage, CallRecord } from './call-record.js';

/** Injection token of the {@link CallStore}. */
export const CALL_STORE = Symbol('CALL_STORE');

/**
 * Persistence for call records. The default keeps them in memory; a company running several instances provides one
 * backed by a shared database under {@link CALL_STORE} (or `CallsModule.forRoot({ store })`).
 *
 * Implementations must make {@link CallStore.insert} and {@link CallStore.update} atomic per CallSid: Twilio and Retell
 * retry and race, and callers rely on these two to decide "first time or repeat".
 */
export interface CallStore {
  /** Stores `record` unless one exists for its CallSid. Returns the stored record and whether this call created it. */
  insert(record: CallRecord): Promise<{ record: CallRecord; created: boolean }>;

  get(callSid: string): Promise<CallRecord | undefined>;

  findByRetellCallId(retellCallId: string): Promise<CallRecord | undefined>;

  /**
   * Applies `change` to a copy of the record and stores it atomically. `change` returns `false` to leave the record
   * as it was (no write). Returns the resulting record, or `undefined` when there is no record for `callSid`.
   */
  update(callSid: string, change: (draft: CallRecord) => boolean | void): Promise<CallRecord | undefined>;

  /** Newest first. */
  list(query: { readonly limit: number; readonly cursor?: string }): Promise<CallPage>;
}
