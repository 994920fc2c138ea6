import type { CallRecord } from '../src/calls/call-record.js';
import { CallsService } from '../src/calls/calls.service.js';
import { createCallStore } from '../src/calls/create-call-store.js';
import { parseDatabaseUrl } from '../src/calls/database-url.js';
import { eventually, startHarness, type Harness } from './support/harness.js';

describe('graceful shutdown', () => {
  it('finishes open media streams (final analytics stored, sockets closed with 1001) before the process lets go', async () => {
    const h = await startHarness({ env: { MEDIA_MODE: 'fork' } });
    try {
      await shutDownMidCall(h);
    } finally {
      await h.stack.close();
      await h.app.close();
      h.removeData();
    }
  });
});

async function shutDownMidCall(h: Harness): Promise<void> {
  const calls = h.app.get(CallsService);
  const call = h.stack.twilio.placeInboundCall({
    from: '+15551112222',
    to: '+15550000000',
    script: { caller: [{ clip: 's1_clean', atMs: 0 }], durationMs: 60_000 },
  });
  // Mid-sentence: the caller's turn is open when the app stops.
  await eventually(
    async () => ((await calls.get(call.callSid))?.media?.analytics?.talkTimeMs.caller ? true : undefined),
    10_000,
    'the caller to be heard',
  );
  const ready = await fetch(`${h.url}/health/ready`);
  expect(ready.status).toBe(200);

  await h.app.close();

  // The app closed its database last; what it wrote before is on disk.
  const store = await createCallStore(parseDatabaseUrl(h.databaseUrl));
  const record = (await store.get(call.callSid)) as CallRecord;
  await store.close();
  expect(record.media!.endedAt).toBeDefined();
  // The caller's open turn was closed at the end of the stream and counted.
  expect(record.media!.analytics!.talkTimeMs.caller).toBeGreaterThan(500);
  await eventually(() => call.streams[0]?.record.closed, 5000, 'the stream socket to close');
  expect(call.streams[0]!.record.closed).toMatchObject({ code: 1001, by: 'server' });
}
