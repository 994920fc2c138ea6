import { z } from 'zod';
import { parseModuleOptions } from '../common/module-options.js';
import { opt } from '../common/option-schemas.js';
import type { CallStore } from './call-store.interface.js';

/** Options of {@link CallsModule}. */
export interface CallsModuleOptions {
  /** The store; default an {@link InMemoryCallStore} holding `maxRecords`. */
  store?: CallStore;
  /** Bound of the default in-memory store. Default 10 000. */
  maxRecords?: number;
}

const CallsOptionsSchema = z.strictObject({
  store: z.custom<CallStore>((v) => typeof v === 'object' && v !== null, { error: 'must be a CallStore' }).optional(),
  maxRecords: opt.int(1).default(10_000),
});

/** Options with defaults applied. */
export type ResolvedCallsOptions = Readonly<z.output<typeof CallsOptionsSchema>>;

/** Merges defaults and validates; the module's single source of resolved options. */
export function resolveCallsOptions(options: CallsModuleOptions = {}): ResolvedCallsOptions {
  return parseModuleOptions('CallsModule', CallsOptionsSchema, options);
}
