import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { createThrowawayDatabase, describePostgres } from '../../../test/support/postgres.js';
import { connectSql } from '../create-call-store.js';
import type { DatabaseTarget } from '../database-url.js';
import { MIGRATION_TABLE, callStoreMigrations, migrateCallStore } from './call-migrations.js';

const TABLES = [
  'call_media',
  'call_transcripts',
  'callbridge_migrations',
  'callbridge_migrations_lock',
  'calls',
  'escalations',
  'idempotency_keys',
  'retell_events',
  'twilio_status_events',
  'twilio_stream_events',
];

async function tablesOf(db: Kysely<unknown>): Promise<string[]> {
  const tables = await db.introspection.getTables();
  return tables.map((t) => t.name).sort();
}

async function appliedOf(db: Kysely<unknown>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)} order by name`.execute(
    db,
  );
  return rows.map((r) => r.name);
}

/** Runs the migration cases against a database that `open` makes empty for each case. */
function migrations(name: string, fresh: () => Promise<{ target: DatabaseTarget; dispose(): Promise<void> }>): void {
  describe(`${name} migrations`, () => {
    let target: DatabaseTarget;
    let dispose: () => Promise<void>;
    beforeEach(async () => {
      ({ target, dispose } = await fresh());
    });
    afterEach(() => dispose());

    // Both "instances" share this test's thread, where a SQLite writer waiting for the lock blocks the other: a short
    // busy timeout lets the migrator's retry show instead of a 5 s wait.
    const open = async () => {
      const { db, dialect } = await connectSql(target as Exclude<DatabaseTarget, { kind: 'memory' }>, {
        poolSize: 2,
        connectTimeoutMs: 5000,
        statementTimeoutMs: 5000,
        busyTimeoutMs: 100,
      });
      return { db: db as unknown as Kysely<unknown>, dialect };
    };

    it('apply to an empty database, and a second run is a no-op', async () => {
      const { db, dialect } = await open();
      try {
        expect(await migrateCallStore(db, dialect)).toEqual(Object.keys(callStoreMigrations(dialect)));
        expect(await tablesOf(db)).toEqual(TABLES);
        expect(await migrateCallStore(db, dialect)).toEqual([]);
        expect(await appliedOf(db)).toEqual(Object.keys(callStoreMigrations(dialect)));
      } finally {
        await db.destroy();
      }
    });

    it('two instances migrating at once apply each migration once, and both boot', async () => {
      const [a, b] = await Promise.all([open(), open()]);
      try {
        const applied = await Promise.all([migrateCallStore(a.db, a.dialect), migrateCallStore(b.db, b.dialect)]);
        expect(applied.flat()).toEqual(Object.keys(callStoreMigrations(a.dialect)));
        expect(await appliedOf(a.db)).toEqual(Object.keys(callStoreMigrations(a.dialect)));
        expect(await tablesOf(b.db)).toEqual(TABLES);
      } finally {
        await a.db.destroy();
        await b.db.destroy();
      }
    });
  });
}

migrations('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'callbridge-migrate-'));
  return {
    target: { kind: 'sqlite', path: join(dir, 'nested', 'calls.sqlite') },
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

const describeIfPostgres = await describePostgres();
describeIfPostgres('PostgreSQL', () =>
  migrations('PostgreSQL', async () => {
    const database = await createThrowawayDatabase('callbridge_migrate');
    return { target: { kind: 'postgres', url: database.url }, dispose: () => database.drop() };
  }),
);
