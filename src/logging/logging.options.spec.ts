import { type ModuleOptionsError } from '../common/module-options.js';
import { resolveLoggingOptions, type LoggingModuleOptions } from './logging.options.js';

describe(resolveLoggingOptions.name, () => {
  it('defaults to info on stdout, naming the service on every line', () => {
    expect(resolveLoggingOptions()).toEqual({ level: 'info', destination: 1, base: { service: 'callbridge' } });
    expect(resolveLoggingOptions({ level: 'silent', base: { region: 'eu' } }).base).toEqual({
      service: 'callbridge',
      region: 'eu',
    });
  });

  it('names a bad level and destination', () => {
    let err: unknown;
    try {
      resolveLoggingOptions({ level: 'loud', destination: -1 } as unknown as LoggingModuleOptions);
    } catch (e) {
      err = e;
    }
    expect((err as ModuleOptionsError).options.sort()).toEqual(['destination', 'level']);
  });
});
