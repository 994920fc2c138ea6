import { CallStoreUnavailableError } from '../call-store.errors.js';

/** Socket errors: the database is down, restarting, or the network between went. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATE classes that say "not now" rather than "wrong query": 08 connection exception, 53 insufficient
 * resources, 57 operator intervention (shutdown, statement timeout), 58 system error; plus deadlock and serialization
 * failures, which a retry resolves.
 */
const PG_UNAVAILABLE = /^(08|53|57|58)|^40001$|^40P01$/;

/** SQLite result codes of a locked, full, read-only or failing file. */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|READONLY|PROTOCOL)/;

/** Messages of `pg`, `pg-pool`, better-sqlite3 and Kysely when there is no usable connection. */
const UNAVAILABLE_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|connection error|not queryable|Query read timeout|database connection is not open|driver has already been destroyed|Cannot use a pool after calling end/i;

/** Whether `err` means the database cannot be reached (a retry later may succeed), not a bug in a query. */
export function isUnavailable(err: unknown, depth = 0): boolean {
  if (err instanceof CallStoreUnavailableError) return true;
  // Duck-typed, not `instanceof Error`: errors of Node's sockets may come from another realm (a test runner's vm).
  if (typeof err !== 'object' || err === null || depth > 3) return false;
  const { code, message, cause } = err as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || PG_UNAVAILABLE.test(code) || SQLITE_UNAVAILABLE.test(code)) return true;
  }
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
  return cause !== undefined && cause !== err && isUnavailable(cause, depth + 1);
}

/** Rethrows `err` as {@link CallStoreUnavailableError} when it means the database is unreachable. */
export function toStoreError(err: unknown): unknown {
  if (err instanceof CallStoreUnavailableError || !isUnavailable(err)) return err;
  return new CallStoreUnavailableError(String((err as { message?: unknown }).message), { cause: err });
}
