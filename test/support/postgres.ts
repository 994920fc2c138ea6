import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * PostgreSQL for tests: the machine's server (127.0.0.1:5432, trust auth) unless `TEST_POSTGRES_URL` names another.
 * Suites make a throwaway database each and drop it after; the shared cluster itself is never stopped.
 */
export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether suites that need a service must fail (CI) rather than skip when it is unreachable. */
export const SERVICES_REQUIRED = process.env.REQUIRE_SERVICES === '1';

export interface PostgresAvailability {
  readonly available: boolean;
  readonly reason?: string;
}

/** Connects once to see whether PostgreSQL answers. */
export async function probePostgres(): Promise<PostgresAvailability> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return { available: true };
  } catch (err) {
    return { available: false, reason: (err as Error).message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * `describe` for suites that need PostgreSQL: runs them when it answers; when it does not, fails the suite under
 * `REQUIRE_SERVICES=1` (CI) and otherwise skips it with a message saying why.
 */
export async function describePostgres(): Promise<jest.Describe> {
  const probe = await probePostgres();
  if (probe.available) return describe;
  const message = `PostgreSQL at ${redact(ADMIN_URL)} is unreachable (${probe.reason})`;
  if (SERVICES_REQUIRED) throw new Error(`${message}; REQUIRE_SERVICES=1 requires it`);
  console.warn(`${message}: skipping the PostgreSQL suites (set REQUIRE_SERVICES=1 to fail instead)`);
  return describe.skip;
}

/** A fresh, empty database of its own; `drop()` removes it (closing any connection still open to it). */
export async function createThrowawayDatabase(
  prefix = 'callbridge_test',
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => admin(`drop database if exists ${name} with (force)`) };
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function redact(url: string): string {
  const u = new URL(url);
  u.password = '';
  return u.toString();
}
