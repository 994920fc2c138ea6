import { ModuleOptionsError } from '../common/module-options.js';
import { resolveCallsOptions } from './calls.options.js';
import { parseDatabaseUrl } from './database-url.js';
import { InMemoryCallStore } from './in-memory-call-store.js';

describe(parseDatabaseUrl.name, () => {
  it('reads each form of DATABASE_URL', () => {
    expect(parseDatabaseUrl('memory:')).toEqual({ kind: 'memory' });
    expect(parseDatabaseUrl('file:./data/c.sqlite', '/srv')).toEqual({ kind: 'sqlite', path: '/srv/data/c.sqlite' });
    expect(parseDatabaseUrl('file:///var/lib/cb.sqlite')).toEqual({ kind: 'sqlite', path: '/var/lib/cb.sqlite' });
    expect(parseDatabaseUrl('postgresql://u:p@db:5432/cb')).toEqual({
      kind: 'postgres',
      url: 'postgresql://u:p@db:5432/cb',
    });
  });

  it('refuses anything else without repeating the URL (it may hold a password)', () => {
    for (const bad of ['mysql://u:secret@h/db', 'file:', 'file:/tmp/', 'sqlite.db']) {
      expect(() => parseDatabaseUrl(bad)).toThrow(/memory:|file path/);
      try {
        parseDatabaseUrl(bad);
      } catch (err) {
        expect((err as Error).message).not.toContain('secret');
      }
    }
  });
});

describe(resolveCallsOptions.name, () => {
  it('defaults to SQLite under ./data and validates the numbers', () => {
    const o = resolveCallsOptions();
    expect(o.target).toEqual({ kind: 'sqlite', path: expect.stringMatching(/\/data\/callbridge\.sqlite$/) });
    expect(o).toMatchObject({ maxRecords: 10_000, poolSize: 10, connectTimeoutMs: 1000, statementTimeoutMs: 2000 });
    expect(() => resolveCallsOptions({ poolSize: 0 })).toThrow('poolSize must be an integer from 1 to 1000');
    expect(() => resolveCallsOptions({ databaseUrl: 'redis://x' })).toThrow(
      'CallsModule options are invalid:\n  databaseUrl the database URL must be',
    );
  });

  it('keeps a given store, and names every bad option at once without repeating the URL', () => {
    const store = new InMemoryCallStore();
    expect(resolveCallsOptions({ store }).store).toBe(store);
    let err: unknown;
    try {
      resolveCallsOptions({ databaseUrl: 'mysql://u:secret@h/db', maxRecords: 1.5, busyTimeoutMs: 0 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModuleOptionsError);
    expect((err as ModuleOptionsError).options.sort()).toEqual(['busyTimeoutMs', 'databaseUrl', 'maxRecords']);
    expect((err as Error).message).not.toContain('secret');
  });
});
