import { newCallRecord } from './call-state.js';
import { InMemoryCallStore } from './in-memory-call-store.js';

const record = (callSid: string) =>
  newCallRecord({ callSid, direction: 'inbound', from: '+15550001', to: '+15550002' });

describe(InMemoryCallStore.name, () => {
  it('inserts once per CallSid and tells repeats apart', async () => {
    const store = new InMemoryCallStore();
    expect((await store.insert(record('CA1'))).created).toBe(true);
    const again = await store.insert({ ...record('CA1'), from: '+1999' });
    expect(again.created).toBe(false);
    expect(again.record.from).toBe('+15550001');
  });

  it('hands out copies: holding a record cannot change the store', async () => {
    const store = new InMemoryCallStore();
    const { record: r } = await store.insert(record('CA1'));
    r.state = 'ended';
    expect((await store.get('CA1'))!.state).toBe('ringing');
  });

  it('applies an update atomically and skips it when the change says no', async () => {
    const store = new InMemoryCallStore();
    await store.insert(record('CA1'));
    await store.update('CA1', (d) => {
      d.retellCallId = 'call_1';
    });
    expect((await store.findByRetellCallId('call_1'))!.callSid).toBe('CA1');
    const unchanged = await store.update('CA1', (d) => {
      d.state = 'ended';
      return false;
    });
    expect(unchanged!.state).toBe('ringing');
    expect(await store.update('CA-missing', () => undefined)).toBeUndefined();
  });

  it('a throwing change leaves the record as it was', async () => {
    const store = new InMemoryCallStore();
    await store.insert(record('CA1'));
    await expect(
      store.update('CA1', (d) => {
        d.state = 'ended';
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await store.get('CA1'))!.state).toBe('ringing');
  });

  it('pages newest first with a cursor', async () => {
    const store = new InMemoryCallStore();
    for (let i = 1; i <= 5; i++) await store.insert(record(`CA${i}`));
    const first = await store.list({ limit: 2 });
    expect(first.items.map((r) => r.callSid)).toEqual(['CA5', 'CA4']);
    const second = await store.list({ limit: 2, cursor: first.nextCursor });
    expect(second.items.map((r) => r.callSid)).toEqual(['CA3', 'CA2']);
    const last = await store.list({ limit: 2, cursor: second.nextCursor });
    expect(last.items.map((r) => r.callSid)).toEqual(['CA1']);
    expect(last.nextCursor).toBeUndefined();
  });

  it('evicts the oldest records past its bound', async () => {
    const store = new InMemoryCallStore(3);
    for (let i = 1; i <= 5; i++) await store.insert(record(`CA${i}`));
    expect(await store.get('CA1')).toBeUndefined();
    expect((await store.list({ limit: 10 })).items).toHaveLength(3);
  });
});
