import { Logger } from '@nestjs/common';
import { Kysely, PostgresDialect } from 'kysely';
import type { CallDatabase } from './call-database.js';

/** Options of the PostgreSQL call store. */
export interface PostgresOptions {
  readonly poolSize: number;
  /** How long to wait for a connection before the operation fails as unavailable (ms). */
  readonly connectTimeoutMs: number;
  /** Bound on one statement, enforced by the server and by the client when the server stops answering (ms). */
  readonly statementTimeoutMs: number;
}

/**
 * A pooled connection to PostgreSQL. The pool reconnects by itself when the database comes back; a connection the
 * server or network drops is reported and discarded (an unhandled `error` event would end the process).
 */
export async function openPostgres(url: string, options: PostgresOptions): Promise<Kysely<CallDatabase>> {
  const { default: pg } = await import('pg');
  const logger = new Logger('CallStore');
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs,
    query_timeout: options.statementTimeoutMs + 500,
    keepAlive: true,
    application_name: 'callbridge',
  });
  pool.on('error', (err) => logger.warn({ msg: 'idle database connection lost', error: err.message }));
  // The pool listens for errors only on idle connections: one that dies while checked out (a statement in flight
  // when the database went away) emits `error` to nobody, which would end the process. The statement itself fails
  // with the same error, and the pool discards the connection on release.
  pool.on('connect', (client) => {
    client.on('error', (err) => logger.warn({ msg: 'database connection lost', error: err.message }));
  });
  return new Kysely<CallDatabase>({ dialect: new PostgresDialect({ pool }) });
}
