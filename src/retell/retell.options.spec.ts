import { type ModuleOptionsError } from '../common/module-options.js';
import { resolveRetellOptions } from './retell.options.js';

describe(resolveRetellOptions.name, () => {
  it('defaults to Retell’s API, its SIP domain and a 2 s registration limit', () => {
    expect(resolveRetellOptions({ apiKey: 'key_1', agentId: 'agent_1' })).toEqual({
      apiKey: 'key_1',
      agentId: 'agent_1',
      baseUrl: 'https://api.retellai.com',
      sipDomain: 'sip.retellai.com',
      registerTimeoutMs: 2000,
    });
  });

  it('names every bad option and never prints the key', () => {
    let err: unknown;
    try {
      resolveRetellOptions({ apiKey: '', agentId: '', sipDomain: 'sip retell', registerTimeoutMs: 15_000 });
    } catch (e) {
      err = e;
    }
    expect((err as ModuleOptionsError).options.sort()).toEqual(['agentId', 'apiKey', 'registerTimeoutMs', 'sipDomain']);
    expect((err as Error).message).toContain(
      'registerTimeoutMs must be an integer from 1 to 14000 (Twilio waits 15 s)',
    );
  });
});
