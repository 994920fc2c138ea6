import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DialectAdapter,
  type DatabaseConnection,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely';
import type { CallDatabase } from './call-database.js';

/** Options of the SQLite call store. */
export interface SqliteOptions {
  /** How long a write waits for another process holding the file (ms). */
  readonly busyTimeoutMs: number;
}

/**
 * Every transaction of the call store writes, so it takes the write lock when it begins (`BEGIN IMMEDIATE`): a
 * deferred transaction that read first and wrote second fails at once with SQLITE_BUSY when another process wrote in
 * between, while an immediate one waits its turn (up to the busy timeout).
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * SQLite runs DDL in transactions; Kysely's adapter says it does not, which would run migrations outside one, so two
 * processes migrating the same new file would both create the tables. With a transaction (`BEGIN IMMEDIATE`) the
 * second waits for the first and then finds the migrations applied.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly options: SqliteDialectConfig) {
    super(options);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.options);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/**
 * Opens (creating it and its folder if needed) the SQLite file at `path` through better-sqlite3, in WAL mode (readers
 * never wait for the writer) with foreign keys on. better-sqlite3 is loaded here, so apps on another back end never
 * load the native module.
 */
export async function openSqlite(path: string, options: SqliteOptions): Promise<Kysely<CallDatabase>> {
  const { default: Database } = await import('better-sqlite3');
  mkdirSync(dirname(path), { recursive: true });
  const database = new Database(path, { timeout: options.busyTimeoutMs });
  try {
    database.pragma('journal_mode = WAL');
    database.pragma('foreign_keys = ON');
  } catch (err) {
    database.close();
    throw err;
  }
  return new Kysely<CallDatabase>({ dialect: new ImmediateSqliteDialect({ database }) });
}
