import { z } from 'zod';
import { ModuleOptionsError, parseModuleOptions } from './module-options.js';
import { opt } from './option-schemas.js';

const Schema = z.strictObject({
  secret: z.string().min(16, { error: 'is too short' }),
  url: opt.httpUrl(),
  count: opt.int(1, 10).default(3),
  nested: z.strictObject({ ms: opt.int(0) }).optional(),
});

function errorOf(input: unknown): ModuleOptionsError {
  try {
    parseModuleOptions('DemoModule', Schema, input);
  } catch (err) {
    if (err instanceof ModuleOptionsError) return err;
    throw err;
  }
  throw new Error('accepted bad options');
}

describe(parseModuleOptions.name, () => {
  it('applies defaults and transforms', () => {
    expect(parseModuleOptions('DemoModule', Schema, { secret: 'x'.repeat(16), url: 'https://a.example/' })).toEqual({
      secret: 'x'.repeat(16),
      url: 'https://a.example',
      count: 3,
    });
  });

  it('names every bad option in one error, nested ones by path, unknown ones too, and never prints a value', () => {
    const err = errorOf({ secret: 'leaky', count: 11, nested: { ms: 'soon' }, mediaMode: 'fork' });
    expect(err.options.sort()).toEqual(['count', 'mediaMode', 'nested.ms', 'secret', 'url']);
    expect(err.message).toContain('DemoModule options are invalid:');
    expect(err.message).toContain('  url is required');
    expect(err.message).toContain('  count must be an integer from 1 to 10');
    expect(err.message).toContain('  nested.ms must be a number');
    expect(err.message).toContain('  mediaMode is not an option');
    expect(err.message).not.toContain('leaky');
  });
});
