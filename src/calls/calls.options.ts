import { z } from 'zod';
import { parseModuleOptions } from '../common/module-options.js';
import { opt } from '../common/option-schemas.js';
import type { CallStore } from './call-store.interface.js';
import { DEFAULT_DATABASE_URL, parseDatabaseUrl, type DatabaseTarget } from './database-url.js';

/** Options of {@link CallsModule}. */
export interface CallsModuleOptions {
  /**
   * Where calls are kept: `memory:` (this process only), `file:<path>` (SQLite) or `postgres://…` (PostgreSQL,
   * shared by every instance). Default `file:./data/callbridge.sqlite`, created on first boot.
   */
  databaseUrl?: string;
  /** A store of your own instead; the module neither migrates nor closes it. */
  store?: CallStore;
  /** Bound of the in-memory store (oldest evicted first). Default 10 000. */
  maxRecords?: number;
  /** PostgreSQL: connections in the pool. Default 10. */
  poolSize?: number;
  /** PostgreSQL: how long an operation waits for a connection before it fails as unavailable (ms). Default 1000. */
  connectTimeoutMs?: number;
  /** PostgreSQL: bound on one statement (ms). Default 2000. */
  statementTimeoutMs?: number;
  /** SQLite: how long a write waits for another process holding the file (ms). Default 5000. */
  busyTimeoutMs?: number;
}

/** Options with defaults applied. */
export interface ResolvedCallsOptions {
  readonly store?: CallStore;
  readonly target: DatabaseTarget;
  readonly maxRecords: number;
  readonly poolSize: number;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly busyTimeoutMs: number;
}

const CallsOptionsSchema = z
  .strictObject({
    // The parser's messages never repeat the URL: it may hold a password.
    databaseUrl: z
      .string()
      .default(DEFAULT_DATABASE_URL)
      .transform((url, ctx): DatabaseTarget => {
        try {
          return parseDatabaseUrl(url);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }),
    store: z.custom<CallStore>((v) => typeof v === 'object' && v !== null, { error: 'must be a CallStore' }).optional(),
    maxRecords: opt.int(1).default(10_000),
    poolSize: opt.int(1, 1000).default(10),
    connectTimeoutMs: opt.int(1, 600_000).default(1000),
    statementTimeoutMs: opt.int(1, 600_000).default(2000),
    busyTimeoutMs: opt.int(1, 600_000).default(5000),
  })
  .transform(({ databaseUrl, ...rest }): ResolvedCallsOptions => ({ ...rest, target: databaseUrl }));

/** Merges defaults and validates; the module's single source of resolved options. */
export function resolveCallsOptions(options: CallsModuleOptions = {}): ResolvedCallsOptions {
  return parseModuleOptions('CallsModule', CallsOptionsSchema, options);
}
