import type { Kysely } from 'kysely';
import type { CallStore } from './call-store.interface.js';
import type { ResolvedCallsOptions } from './calls.options.js';
import type { DatabaseTarget } from './database-url.js';
import { InMemoryCallStore } from './in-memory-call-store.js';
import { migrateCallStore } from './sql/call-migrations.js';
import type { CallDatabase } from './sql/call-database.js';
import { openPostgres } from './sql/postgres-connection.js';
import { SqlCallStore } from './sql/sql-call-store.js';
import type { SqlDialectName } from './sql/sql-dialect.js';
import { openSqlite } from './sql/sqlite-connection.js';

type ConnectOptions = Pick<
  ResolvedCallsOptions,
  'poolSize' | 'connectTimeoutMs' | 'statementTimeoutMs' | 'busyTimeoutMs'
>;

const DEFAULTS: ConnectOptions = {
  poolSize: 10,
  connectTimeoutMs: 1000,
  statementTimeoutMs: 2000,
  busyTimeoutMs: 5000,
};

/** A Kysely connection to a SQL target, with its dialect. */
export async function connectSql(
  target: Exclude<DatabaseTarget, { kind: 'memory' }>,
  options: ConnectOptions = DEFAULTS,
): Promise<{ db: Kysely<CallDatabase>; dialect: SqlDialectName }> {
  if (target.kind === 'sqlite') return { db: await openSqlite(target.path, options), dialect: 'sqlite' };
  return { db: await openPostgres(target.url, options), dialect: 'postgres' };
}

/**
 * Opens the store for `target`: in memory, or a SQL database migrated to the latest schema first (under the
 * migrator's lock, so instances booting together do not race). The caller owns the store and closes it.
 */
export async function createCallStore(
  target: DatabaseTarget,
  options: ConnectOptions & Partial<Pick<ResolvedCallsOptions, 'maxRecords'>> = DEFAULTS,
): Promise<CallStore> {
  if (target.kind === 'memory') return new InMemoryCallStore(options.maxRecords);
  const { db, dialect } = await connectSql(target, options);
  try {
    await migrateCallStore(db as Kysely<unknown>, dialect);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return new SqlCallStore(db, dialect);
}

/** Applies pending migrations to `target` and closes the connection; returns the names applied (`npm run db:migrate`). */
export async function migrateDatabase(target: DatabaseTarget): Promise<string[]> {
  if (target.kind === 'memory') return [];
  const { db, dialect } = await connectSql(target);
  try {
    return await migrateCallStore(db as Kysely<unknown>, dialect);
  } finally {
    await db.destroy();
  }
}
