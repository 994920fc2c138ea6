import { CallsService } from '../calls/calls.service.js';
import { InMemoryCallStore } from '../calls/in-memory-call-store.js';
import { CallLogContext } from '../logging/call-log-context.js';
import { CallStatusService } from './call-status.service.js';

const status = (CallStatus: string, SequenceNumber?: number) => ({
  CallSid: 'CA1',
  CallStatus,
  ...(SequenceNumber === undefined ? {} : { SequenceNumber: String(SequenceNumber) }),
});

describe(CallStatusService.name, () => {
  it('never moves a call backwards when callbacks arrive out of order', async () => {
    const calls = new CallsService(new InMemoryCallStore());
    const service = new CallStatusService(calls, new CallLogContext());
    await calls.open({ callSid: 'CA1', direction: 'outbound', from: 'a', to: 'b' });
    await calls.transition('CA1', 'connected');
    for (const [s, n] of [
      ['initiated', 0],
      ['completed', 3],
      ['ringing', 1],
      ['in-progress', 2],
    ] as const) {
      await service.apply(status(s, n));
    }
    const r = (await calls.get('CA1'))!;
    expect(r.twilio.status).toBe('completed');
    expect(r.twilio.lastSequenceNumber).toBe(3);
    expect(r.state).toBe('ended');
    expect(r.twilio.statusHistory.map((h) => [h.status, h.applied])).toEqual([
      ['initiated', true],
      ['completed', true],
      ['ringing', false],
      ['in-progress', false],
    ]);
  });

  it('orders by status when Twilio sends no sequence number', async () => {
    const calls = new CallsService(new InMemoryCallStore());
    const service = new CallStatusService(calls, new CallLogContext());
    await service.apply(status('completed'));
    await service.apply(status('ringing'));
    expect((await calls.get('CA1'))!.twilio.status).toBe('completed');
  });

  it('marks a call that never connected as failed, with the reason', async () => {
    const calls = new CallsService(new InMemoryCallStore());
    const service = new CallStatusService(calls, new CallLogContext());
    await service.apply(status('no-answer', 2));
    expect(await calls.get('CA1')).toMatchObject({ state: 'failed', stateReason: 'no-answer' });
  });

  it("refuses a status that is not Twilio's", async () => {
    const service = new CallStatusService(new CallsService(new InMemoryCallStore()), new CallLogContext());
    await expect(service.apply(status('exploded', 1))).rejects.toThrow('CallStatus');
  });
});
