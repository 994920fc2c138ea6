import { ModuleOptionsError } from '../common/module-options.js';
import { DEFAULT_FALLBACK_MESSAGE, resolveTwilioOptions, type TwilioModuleOptions } from './twilio.options.js';

const valid: TwilioModuleOptions = {
  accountSid: 'AC' + 'a'.repeat(32),
  authToken: 'token-token-token',
  publicUrl: 'https://cb.example.com/',
};

describe(resolveTwilioOptions.name, () => {
  it('keeps the defaults: fallback message, trailing slashes gone, REST retry budget', () => {
    expect(resolveTwilioOptions({ ...valid, apiBaseUrl: 'http://127.0.0.1:9/' })).toEqual({
      ...valid,
      publicUrl: 'https://cb.example.com',
      apiBaseUrl: 'http://127.0.0.1:9',
      fallbackMessage: DEFAULT_FALLBACK_MESSAGE,
      rest: { timeoutMs: 5000, retries: 3, minDelayMs: 250, maxDelayMs: 2000, maxElapsedMs: 8000 },
    });
  });

  it('names every bad option at once, the removed mediaMode included (MediaModule owns the mode now)', () => {
    let err: unknown;
    try {
      resolveTwilioOptions({
        ...valid,
        accountSid: 'AC123',
        authToken: '',
        publicUrl: 'ftp://x',
        fallbackNumber: '555-1234',
        rest: { retries: -1, minDelayMs: 500, maxDelayMs: 100 },
        mediaMode: 'fork',
      } as TwilioModuleOptions);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModuleOptionsError);
    expect((err as ModuleOptionsError).options.sort()).toEqual([
      'accountSid',
      'authToken',
      'fallbackNumber',
      'mediaMode',
      'publicUrl',
      'rest.maxDelayMs',
      'rest.retries',
    ]);
    expect((err as Error).message).toMatch(/^TwilioModule options are invalid:/);
  });
});
