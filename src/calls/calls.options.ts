import type { CallStore } from './call-store.interface.js';

/** Options of {@link CallsModule}. */
export interface CallsModuleOptions {
  /** The store; default an {@link InMemoryCallStore} holding `maxRecords`. */
  store?: CallStore;
  /** Bound of the default in-memory store. Default 10 000. */
  maxRecords?: number;
}

/** Options with defaults applied. */
export interface ResolvedCallsOptions {
  readonly store?: CallStore;
  readonly maxRecords: number;
}

/** Merges defaults and validates; the module's single source of resolved options. */
export function resolveCallsOptions(options: CallsModuleOptions = {}): ResolvedCallsOptions {
  const maxRecords = options.maxRecords ?? 10_000;
  if (!Number.isInteger(maxRecords) || maxRecords < 1) {
    throw new Error(`CallsModule: maxRecords must be a positive integer, got ${maxRecords}`);
  }
  return { store: options.store, maxRecords };
}
