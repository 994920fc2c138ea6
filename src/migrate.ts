import { existsSync } from 'node:fs';
import { migrateDatabase } from './calls/create-call-store.js';
import { DEFAULT_DATABASE_URL, parseDatabaseUrl } from './calls/database-url.js';
import { EnvSchema } from './config/env.schema.js';

/**
 * `npm run db:migrate` (`node dist/migrate.js` in the image): applies the call store's pending migrations to
 * `DATABASE_URL` (the SQLite default when unset) and exits. The service also migrates at boot, under the same lock;
 * this entry is for deployments that migrate before they roll out. Needs no other setting.
 */
async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const parsed = EnvSchema.shape.DATABASE_URL.safeParse(process.env.DATABASE_URL);
  if (!parsed.success) {
    process.stderr.write(`callbridge db:migrate: DATABASE_URL ${parsed.error.issues[0]?.message ?? 'is invalid'}\n`);
    process.exit(1);
  }
  const target = parseDatabaseUrl(parsed.data ?? DEFAULT_DATABASE_URL);
  const where = target.kind === 'sqlite' ? `SQLite at ${target.path}` : target.kind;
  try {
    const applied = await migrateDatabase(target);
    process.stdout.write(
      `callbridge db:migrate: ${where}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}\n`,
    );
  } catch (err) {
    process.stderr.write(`callbridge db:migrate: ${where}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

void main();
