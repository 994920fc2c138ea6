import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line about a call carries. */
export interface CallLogContext {
  callSid?: string;
  retellCallId?: string;
}

const storage = new AsyncLocalStorage<CallLogContext>();

/**
 * The call a piece of work is about, carried through async continuations so the logger can put the CallSid on every
 * line without each call site passing it.
 */
export const callContext = {
  /** Runs `fn` with a fresh, mutable context. */
  run<T>(initial: CallLogContext, fn: () => T): T {
    return storage.run({ ...initial }, fn);
  },
  /** Names the call for the rest of the current context (no-op outside one). */
  set(fields: CallLogContext): void {
    const store = storage.getStore();
    if (store) Object.assign(store, fields);
  },
  /** The current context's fields, for the log mixin. */
  fields(): CallLogContext {
    return storage.getStore() ?? {};
  },
};
