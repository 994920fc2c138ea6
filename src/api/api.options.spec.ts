import { ModuleOptionsError } from '../common/module-options.js';
import { resolveApiOptions } from './api.options.js';

describe(resolveApiOptions.name, () => {
  it('takes a token of 16 characters or more, and refuses a shorter one without printing it', () => {
    expect(resolveApiOptions({ token: 't'.repeat(16) })).toEqual({ token: 't'.repeat(16) });
    expect(() => resolveApiOptions({ token: 'tiny-secret' })).toThrow(ModuleOptionsError);
    expect(() => resolveApiOptions({ token: 'tiny-secret' })).toThrow(/token must be at least 16 characters/);
    expect(() => resolveApiOptions({ token: 'tiny-secret' })).not.toThrow(/tiny-secret/);
  });
});
