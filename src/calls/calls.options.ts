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

/** Merges defaults and validates; the module's single source of resolved options. */
export function resolveCallsOptions(options: CallsModuleOptions = {}): ResolvedCallsOptions {
  const positive = (name: keyof CallsModuleOptions, value: number, max: number) => {
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new Error(`CallsModule: ${name} must be an integer from 1 to ${max}, got ${value}`);
    }
    return value;
  };
  let target: DatabaseTarget;
  try {
    target = parseDatabaseUrl(options.databaseUrl ?? DEFAULT_DATABASE_URL);
  } catch (err) {
    throw new Error(`CallsModule: databaseUrl: ${(err as Error).message}`, { cause: err });
  }
  return {
    store: options.store,
    target,
    maxRecords: positive('maxRecords', options.maxRecords ?? 10_000, Number.MAX_SAFE_INTEGER),
    poolSize: positive('poolSize', options.poolSize ?? 10, 1000),
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs ?? 1000, 600_000),
    statementTimeoutMs: positive('statementTimeoutMs', options.statementTimeoutMs ?? 2000, 600_000),
    busyTimeoutMs: positive('busyTimeoutMs', options.busyTimeoutMs ?? 5000, 600_000),
  };
}
