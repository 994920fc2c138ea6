import { isAbsolute, resolve } from 'node:path';

/** Where the call store keeps calls, parsed from a `DATABASE_URL`. */
export type DatabaseTarget =
  | { readonly kind: 'memory' }
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string };

/** The embedded default: a SQLite file under the working directory, created on first boot. */
export const DEFAULT_DATABASE_URL = 'file:./data/callbridge.sqlite';

/**
 * `memory:` → in process; `file:<path>` → SQLite at that path (relative to the working directory);
 * `postgres://…` or `postgresql://…` → PostgreSQL. Throws with a message that never repeats the URL (it may hold a
 * password).
 */
export function parseDatabaseUrl(url: string, cwd = process.cwd()): DatabaseTarget {
  const value = url.trim();
  if (value === 'memory:') return { kind: 'memory' };
  if (value.startsWith('file:')) {
    let path = value.slice('file:'.length);
    // `file:///abs/path` and `file://./rel` are accepted as the URL forms of a path.
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '' || path.endsWith('/')) throw new Error('a file: database URL needs a file path');
    return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(cwd, path) };
  }
  if (/^postgres(ql)?:\/\//i.test(value)) {
    if (!URL.canParse(value)) throw new Error('the postgres:// database URL does not parse');
    return { kind: 'postgres', url: value };
  }
  throw new Error('the database URL must be memory:, file:<path>, postgres:// or postgresql://');
}
