import { PUBLIC_URL, eventually, startHarness, type Harness } from './support/harness.js';
import { createThrowawayDatabase, describePostgres } from './support/postgres.js';
import { TcpProxy } from './support/tcp-proxy.js';

const caller = { from: '+15551112222', to: '+15550000000' };
const describeIfPostgres = await describePostgres();

/**
 * The call store's database goes away under a running app and comes back. The app reaches a throwaway PostgreSQL
 * database of this suite through a TCP proxy the test cuts and restores; the machine's server keeps running.
 */
describeIfPostgres('call store outage (PostgreSQL)', () => {
  let h: Harness;
  let proxy: TcpProxy;
  let database: Awaited<ReturnType<typeof createThrowawayDatabase>>;

  beforeAll(async () => {
    database = await createThrowawayDatabase('callbridge_outage');
    proxy = new TcpProxy({ host: '127.0.0.1', port: Number(new URL(database.url).port || 5432) });
    const port = await proxy.start();
    const url = new URL(database.url);
    url.port = String(port);
    h = await startHarness({
      env: { MEDIA_MODE: 'off', FALLBACK_NUMBER: '+15550009999', DATABASE_URL: url.toString() },
    });
  });
  afterAll(async () => {
    await h?.close();
    await proxy?.close();
    await database?.drop();
  });

  const status = (callSid: string, CallStatus: string, SequenceNumber: number) =>
    h.stack.twilio.sendWebhook({
      url: `${PUBLIC_URL}/twilio/status`,
      params: {
        CallSid: callSid,
        AccountSid: 'AC1',
        ...caller,
        From: caller.from,
        To: caller.to,
        Direction: 'inbound',
        CallStatus,
        SequenceNumber: String(SequenceNumber),
      },
    });
  const statusCode = (r: Awaited<ReturnType<typeof status>>) => ('status' in r ? r.status : r.error);
  const ready = async () => (await fetch(`${h.url}/health/ready`)).status;

  it('answers webhooks 503 and readiness red while the database is down, the caller still gets the fallback, and recovers by itself', async () => {
    // Up: a call goes through and is stored.
    const before = await h.stack.twilio.runInboundCall({ ...caller, script: { durationMs: 200 } });
    const callId = (await h.call(before.callSid)).retellCallId!;
    expect(callId).toBeDefined();
    expect(await ready()).toBe(200);

    await proxy.cut();

    const readiness = await fetch(`${h.url}/health/ready`);
    expect(readiness.status).toBe(503);
    expect(await readiness.json()).toMatchObject({ error: { store: { status: 'down' } } });

    // Webhooks are not acknowledged: Twilio and Retell deliver them again later.
    const sid = 'CA' + 'd'.repeat(32);
    expect(statusCode(await status(sid, 'ringing', 1))).toBe(503);
    const retell = await h.stack.retell.sendEvent(callId, 'transfer_started', {
      extra: { transfer_start_timestamp: 1_900_000_000_000 },
    });
    expect(retell.status).toBe(503);
    expect((await h.api(`/calls/${before.callSid}`)).status).toBe(503);

    // The voice webhook still answers the caller: the fallback.
    const during = await h.stack.twilio.runInboundCall({ ...caller, script: { durationMs: 200 } });
    const voice = during.webhooks.find((w) => w.purpose === 'voice')!;
    expect(voice.status).toBe(200);
    expect(during.twiml[0]!.xml).toContain('<Dial>+15550009999</Dial>');
    expect(during.twiml[0]!.xml).not.toContain('<Sip>');

    await proxy.restore();

    // Back by itself: readiness, then the retried deliveries are stored.
    await eventually(async () => ((await ready()) === 200 ? true : undefined), 10_000, 'readiness to recover');
    expect(statusCode(await status(sid, 'ringing', 1))).toBe(204);
    expect(statusCode(await status(sid, 'ringing', 1))).toBe(204);
    expect(
      (
        await h.stack.retell.sendEvent(callId, 'transfer_started', {
          extra: { transfer_start_timestamp: 1_900_000_000_000 },
        })
      ).status,
    ).toBe(204);
    const record = await h.call(sid);
    expect(record.twilio.statusHistory).toHaveLength(1);
    expect(record.twilio.status).toBe('ringing');
    const first = await h.call(before.callSid);
    expect(first.retell.events.filter((e) => e.event === 'transfer_started')).toHaveLength(1);
  });
});
