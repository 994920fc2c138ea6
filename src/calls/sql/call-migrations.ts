import { Migrator, type Kysely, type Migration } from 'kysely';
import * as callTables from './migrations/0001-call-tables.js';
import type { SqlDialectName } from './sql-dialect.js';
import { isUnavailable } from './sql-errors.js';

/** Where Kysely records applied migrations and takes its lock (PostgreSQL: an advisory lock beside it). */
export const MIGRATION_TABLE = 'callbridge_migrations';
export const MIGRATION_LOCK_TABLE = 'callbridge_migrations_lock';

/** Every migration of the call store, by name (applied in name order). */
export function callStoreMigrations(dialect: SqlDialectName): Record<string, Migration> {
  return {
    '0001-call-tables': { up: (db) => callTables.up(db, dialect), down: (db) => callTables.down(db) },
  };
}

/**
 * Brings the schema to the latest migration, under the migrator's lock: on PostgreSQL an advisory lock, so two
 * instances booting together apply each migration once; on SQLite a write transaction (`BEGIN IMMEDIATE`, see
 * `sqlite-connection.ts`), retried if another process held the file past the busy timeout. A second run is a no-op.
 * Returns the names of the migrations it applied.
 */
export async function migrateCallStore(db: Kysely<unknown>, dialect: SqlDialectName): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => callStoreMigrations(dialect) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results = [] } = await migrator.migrateToLatest();
    if (!error) return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
    if (attempt < 20 && dialect === 'sqlite' && isUnavailable(error)) {
      // Jittered, so two processes that collided do not collide again in step.
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
      continue;
    }
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(
      `call store migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
