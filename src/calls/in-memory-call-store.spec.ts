import { InMemoryCallStore } from './in-memory-call-store.js';

const call = (callSid: string) => ({ callSid, direction: 'inbound' as const, from: '+15550001', to: '+15550002' });

/** What only the memory adapter does; the operations' behaviour is in `call-store.contract.spec.ts`. */
describe(InMemoryCallStore.name, () => {
  it('hands out copies: holding a record cannot change the store', async () => {
    const store = new InMemoryCallStore();
    await store.open({ ...call('CA1'), metadata: { crm: 'a' } });
    const r = (await store.get('CA1'))!;
    r.state = 'ended';
    r.metadata!.crm = 'b';
    expect(await store.get('CA1')).toMatchObject({ state: 'ringing', metadata: { crm: 'a' } });
  });

  it('evicts the oldest calls past its bound, and their Retell index', async () => {
    const store = new InMemoryCallStore(3);
    for (let i = 1; i <= 5; i++) await store.open(call(`CA${i}`));
    await store.completeRegistration('CA3', { retellCallId: 'call_3' });
    for (let i = 6; i <= 8; i++) await store.open(call(`CA${i}`));
    expect(await store.get('CA1')).toBeUndefined();
    expect(await store.findByRetellCallId('call_3')).toBeUndefined();
    expect((await store.list({ limit: 10 })).items.map((r) => r.callSid)).toEqual(['CA8', 'CA7', 'CA6']);
  });
});
