import { ModuleOptionsError } from '../common/module-options.js';
import { resolveCallsOptions } from './calls.options.js';
import { InMemoryCallStore } from './in-memory-call-store.js';

describe(resolveCallsOptions.name, () => {
  it('defaults to 10 000 records, keeps a given store, and names a bad bound', () => {
    expect(resolveCallsOptions()).toEqual({ maxRecords: 10_000 });
    const store = new InMemoryCallStore();
    expect(resolveCallsOptions({ store }).store).toBe(store);
    expect(() => resolveCallsOptions({ maxRecords: 0 })).toThrow(ModuleOptionsError);
    expect(() => resolveCallsOptions({ maxRecords: 1.5 })).toThrow(/maxRecords must be an integer of at least 1/);
  });
});
