import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { createThrowawayDatabase, describePostgres } from '../../test/support/postgres.js';
import type { CallRecord } from './call-record.js';
import type { CallStore, NewCall } from './call-store.interface.js';
import { connectSql } from './create-call-store.js';
import { InMemoryCallStore } from './in-memory-call-store.js';
import { migrateCallStore } from './sql/call-migrations.js';
import { SqlCallStore } from './sql/sql-call-store.js';

/** A clock the cases move by hand, so leases expire on cue and every back end stamps the same times. */
class ManualClock {
  ms = Date.parse('2030-01-01T00:00:00.000Z');
  readonly now = () => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

interface Backend {
  readonly name: string;
  make(clock: ManualClock): Promise<{ store: CallStore; dispose(): Promise<void> }>;
}

const memory: Backend = {
  name: 'memory',
  make: async (clock) => ({ store: new InMemoryCallStore(10_000, clock.now), dispose: async () => undefined }),
};

const sqlite: Backend = {
  name: 'SQLite',
  make: async (clock) => {
    const dir = mkdtempSync(join(tmpdir(), 'callbridge-contract-'));
    const { db, dialect } = await connectSql({ kind: 'sqlite', path: join(dir, 'calls.sqlite') });
    await migrateCallStore(db as unknown as Kysely<unknown>, dialect);
    const store = new SqlCallStore(db, dialect, clock.now);
    return {
      store,
      dispose: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgres: Backend = {
  name: 'PostgreSQL',
  make: async (clock) => {
    const database = await createThrowawayDatabase('callbridge_contract');
    const { db, dialect } = await connectSql(
      { kind: 'postgres', url: database.url },
      { poolSize: 20, connectTimeoutMs: 5000, statementTimeoutMs: 5000, busyTimeoutMs: 5000 },
    );
    await migrateCallStore(db as unknown as Kysely<unknown>, dialect);
    const store = new SqlCallStore(db, dialect, clock.now);
    return {
      store,
      dispose: async () => {
        await store.close();
        await database.drop();
      },
    };
  },
};

const call = (callSid: string, over: Partial<NewCall> = {}): NewCall => ({
  callSid,
  direction: 'inbound',
  from: '+15550001',
  to: '+15550002',
  ...over,
});

const times = <T>(n: number, f: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => f(i)));

/** The same cases for every adapter: what the operations promise, including under concurrency. */
function contract(backend: Backend): void {
  describe(`${backend.name} call store`, () => {
    let clock: ManualClock;
    let store: CallStore;
    let dispose: () => Promise<void>;
    beforeEach(async () => {
      clock = new ManualClock();
      ({ store, dispose } = await backend.make(clock));
    });
    afterEach(() => dispose());

    it('opens a call once: 20 concurrent opens, exactly one creates it', async () => {
      const results = await times(20, () => store.open(call('CA1')));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(results.every((r) => r.call.callSid === 'CA1' && r.call.state === 'ringing')).toBe(true);
    });

    it('a repeated open fills what the first lacked and overwrites nothing', async () => {
      await store.open(call('CA1', { metadata: { crm: 'first' } }));
      const again = await store.open(
        call('CA1', { from: '+1999', agentId: 'agent_2', metadata: { crm: 'second' }, dynamicVariables: { a: 'b' } }),
      );
      expect(again.created).toBe(false);
      expect(again.call).toMatchObject({
        from: '+15550001',
        agentId: 'agent_2',
        metadata: { crm: 'first' },
        dynamicVariables: { a: 'b' },
      });
    });

    it('counts voice webhooks atomically, opening the call on the first', async () => {
      await times(10, () => store.recordVoiceWebhook(call('CA1')));
      const last = await store.recordVoiceWebhook(call('CA1'));
      expect(last.voiceWebhookCount).toBe(11);
      expect((await store.get('CA1'))!.twilio.voiceWebhookCount).toBe(11);
    });

    it('leases the Retell registration to exactly one of 20 concurrent claims', async () => {
      await store.open(call('CA1'));
      const claims = await times(20, () => store.claimRegistration('CA1', 3000));
      expect(claims.filter((c) => c.outcome === 'claimed')).toHaveLength(1);
      expect(claims.filter((c) => c.outcome === 'held')).toHaveLength(19);
      expect(await store.completeRegistration('CA1', { retellCallId: 'call_1', agentId: 'agent_1' })).toBe(true);
      expect(await store.claimRegistration('CA1', 3000)).toEqual({ outcome: 'registered', retellCallId: 'call_1' });
      expect(await store.get('CA1')).toMatchObject({ state: 'registered', retellCallId: 'call_1', agentId: 'agent_1' });
      expect((await store.findByRetellCallId('call_1'))!.callSid).toBe('CA1');
      expect(await store.claimRegistration('CA-none', 3000)).toEqual({ outcome: 'not_found' });
    });

    it('lets another take over a lease that ran out, and closes claims once the call left for fallback', async () => {
      await store.open(call('CA1'));
      expect((await store.claimRegistration('CA1', 3000)).outcome).toBe('claimed');
      clock.advance(2999);
      expect(await store.claimRegistration('CA1', 3000)).toMatchObject({ outcome: 'held' });
      clock.advance(2);
      expect((await store.claimRegistration('CA1', 3000)).outcome).toBe('claimed');
      expect(await store.transition('CA1', 'fallback', 'retell_timeout')).toBe(true);
      expect(await store.claimRegistration('CA1', 3000)).toEqual({
        outcome: 'closed',
        state: 'fallback',
        reason: 'retell_timeout',
      });
    });

    it('moves a call forward only, stamping each state and keeping the reason', async () => {
      await store.open(call('CA1'));
      clock.advance(1000);
      expect(await store.transition('CA1', 'connected')).toBe(true);
      expect(await store.transition('CA1', 'registered')).toBe(false);
      expect(await store.transition('CA1', 'fallback', 'agent_stream_lost')).toBe(true);
      expect(await store.transition('CA1', 'connected')).toBe(false);
      expect(await store.transition('CA-none', 'ended')).toBe(false);
      const r = (await store.get('CA1'))!;
      expect(r).toMatchObject({ state: 'fallback', stateReason: 'agent_stream_lost' });
      expect(r.stateTimes).toEqual({
        ringing: '2030-01-01T00:00:00.000Z',
        connected: '2030-01-01T00:00:01.000Z',
        fallback: '2030-01-01T00:00:01.000Z',
      });
    });

    it('applies Twilio statuses by sequence number, whatever order they arrive in, and stores each once', async () => {
      await store.open(call('CA1', { direction: 'outbound' }));
      await store.transition('CA1', 'connected');
      const outcomes = [];
      for (const [status, sequenceNumber] of [
        ['initiated', 0],
        ['completed', 3],
        ['ringing', 1],
        ['in-progress', 2],
        ['completed', 3],
      ] as const) {
        outcomes.push(await store.applyStatus('CA1', { status, sequenceNumber, callDuration: 7 }));
      }
      expect(outcomes).toEqual(['applied', 'applied', 'stale', 'stale', 'duplicate']);
      const r = (await store.get('CA1'))!;
      expect(r.twilio).toMatchObject({ status: 'completed', lastSequenceNumber: 3 });
      expect(r.state).toBe('ended');
      expect(r.twilio.statusHistory.map((h) => [h.status, h.sequenceNumber, h.applied])).toEqual([
        ['initiated', 0, true],
        ['completed', 3, true],
        ['ringing', 1, false],
        ['in-progress', 2, false],
      ]);
      expect(await store.applyStatus('CA-none', { status: 'ringing', sequenceNumber: 0 })).toBe('not_found');
    });

    it('concurrent, shuffled and repeated status callbacks leave one row each and the newest applied', async () => {
      await store.open(call('CA1'));
      const statuses = [
        ['initiated', 0],
        ['ringing', 1],
        ['in-progress', 2],
        ['no-answer', 3],
      ] as const;
      const deliveries = [...statuses, ...statuses, ...statuses].sort(() => Math.random() - 0.5);
      const outcomes = await Promise.all(
        deliveries.map(([status, sequenceNumber]) => store.applyStatus('CA1', { status, sequenceNumber })),
      );
      expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(8);
      const r = (await store.get('CA1'))!;
      expect(r.twilio.statusHistory).toHaveLength(4);
      expect(r.twilio).toMatchObject({ status: 'no-answer', lastSequenceNumber: 3 });
      expect(r).toMatchObject({ state: 'failed', stateReason: 'no-answer' });
    });

    it('orders statuses without a sequence number by status, and never leaves a terminal one', async () => {
      await store.open(call('CA1'));
      expect(await store.applyStatus('CA1', { status: 'busy' })).toBe('applied');
      expect(await store.applyStatus('CA1', { status: 'ringing' })).toBe('stale');
      expect(await store.applyStatus('CA1', { status: 'canceled' })).toBe('stale');
      expect(await store.get('CA1')).toMatchObject({
        state: 'failed',
        stateReason: 'busy',
        twilio: { status: 'busy' },
      });
    });

    it('stores a Retell event once: 50 concurrent copies, one stored', async () => {
      await store.open(call('CA1'));
      const event = {
        event: 'call_started',
        occurrence: '',
        retellCallId: 'call_1',
        payload: { event: 'call_started', call: { call_id: 'call_1' } },
        facts: { callStatus: 'ongoing', startTimestamp: 1_900_000_000_000 },
        connects: true,
      };
      const outcomes = await times(50, () => store.recordRetellEvent('CA1', event));
      expect(outcomes.filter((o) => o === 'stored')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(49);
      const r = (await store.get('CA1'))!;
      expect(r.retell).toMatchObject({
        events: [{ event: 'call_started' }],
        eventKeys: ['call_started:call_1'],
        callStatus: 'ongoing',
        startTimestamp: 1_900_000_000_000,
      });
      expect(r).toMatchObject({ state: 'connected', retellCallId: 'call_1' });
      expect(await store.recordRetellEvent('CA-none', event)).toBe('not_found');
    });

    it('keeps the longest cumulative transcript, whatever order the updates arrive in', async () => {
      await store.open(call('CA1'));
      const update = (text: string) =>
        store.recordRetellEvent('CA1', {
          event: 'transcript_updated',
          occurrence: `len:${text.length}`,
          retellCallId: 'call_1',
          facts: {},
          transcript: { text, turns: [{ role: 'agent', content: text }] },
        });
      await update('Agent: Hi\nUser: Hello');
      await update('Agent: Hi');
      await store.recordRetellEvent('CA1', {
        event: 'call_ended',
        occurrence: '',
        retellCallId: 'call_1',
        facts: { disconnectionReason: 'user_hangup', analysis: { call_successful: true }, durationMs: 4200 },
      });
      const r = (await store.get('CA1'))!;
      expect(r.retell).toMatchObject({
        transcript: 'Agent: Hi\nUser: Hello',
        disconnectionReason: 'user_hangup',
        analysis: { call_successful: true },
        durationMs: 4200,
      });
      expect(r.retell.events.map((e) => e.event)).toEqual(['transcript_updated', 'transcript_updated', 'call_ended']);
      expect(r.retell.eventKeys).toEqual(['call_ended:call_1']);
    });

    it('attaches one media stream per call, patches its analytics and detaches it', async () => {
      await store.open(call('CA1'));
      const stream = (streamSid: string) => ({
        streamSid,
        mode: 'fork' as const,
        tracks: ['inbound', 'outbound'],
        frames: { inbound: 0, outbound: 0 },
        dropped: {},
      });
      expect(await store.attachMedia('CA1', stream('MZ1'))).toBe(true);
      expect(await store.attachMedia('CA1', stream('MZ1'))).toBe(true);
      expect(await store.attachMedia('CA1', stream('MZ2'))).toBe(false);
      expect(await store.attachMedia('CA-none', stream('MZ3'))).toBe(false);
      const analytics = {
        responseLatenciesMs: [640],
        responseLatencyMs: { p50: 640, p95: 640, max: 640 },
        interruptions: [{ at: 1200, yieldMs: null }],
        deadAir: { totalMs: 10, longestMs: 10 },
        talkTimeMs: { caller: 900, agent: 1500 },
        overlapMs: 40,
        dtmf: [{ digit: '0', at: 2000 }],
        coveredMs: 3000,
      };
      expect(await store.patchAnalytics('CA1', 'MZ2', { analytics })).toBe(false);
      expect(
        await store.patchAnalytics('CA1', 'MZ1', { analytics, frames: { inbound: 150, outbound: 149 }, dropped: {} }),
      ).toBe(true);
      clock.advance(5000);
      expect(
        await store.detachMedia('CA1', 'MZ1', { frames: { inbound: 151, outbound: 150 }, dropped: { late: 1 } }),
      ).toBe(true);
      expect(await store.detachMedia('CA1', 'MZ1', {})).toBe(false);
      expect((await store.get('CA1'))!.media).toEqual({
        streamSid: 'MZ1',
        mode: 'fork',
        tracks: ['inbound', 'outbound'],
        startedAt: '2030-01-01T00:00:00.000Z',
        endedAt: '2030-01-01T00:00:05.000Z',
        frames: { inbound: 151, outbound: 150 },
        dropped: { late: 1 },
        analytics,
      });
      // Once the first stream ended, a new one (after a redirect) may attach.
      expect(await store.attachMedia('CA1', stream('MZ2'))).toBe(true);
      expect((await store.get('CA1'))!.media).toMatchObject({ streamSid: 'MZ2', frames: { inbound: 0 } });
    });

    it('opens one escalation per call at a time: 20 concurrent claims, one wins', async () => {
      await store.open(call('CA1'));
      const claims = await times(20, (i) => store.claimEscalation('CA1', { trigger: 'dtmf', reason: `r${i}` }));
      const won = claims.filter((c) => c.outcome === 'claimed');
      expect(won).toHaveLength(1);
      const id = won[0]!.outcome === 'claimed' ? won[0]!.escalation.id : '';
      expect(claims.every((c) => c.outcome !== 'not_found' && c.escalation.id === id)).toBe(true);
      clock.advance(1000);
      const transferred = await store.updateEscalation('CA1', id, {
        target: '+15559999',
        transferredAt: clock.now().toISOString(),
      });
      expect(transferred).toMatchObject({ target: '+15559999', transferredAt: '2030-01-01T00:00:01.000Z' });
      clock.advance(1000);
      // A repeat cannot rewrite a time already set.
      const ended = await store.updateEscalation('CA1', id, {
        transferredAt: clock.now().toISOString(),
        endedAt: clock.now().toISOString(),
        outcome: 'no_answer',
      });
      expect(ended).toMatchObject({ transferredAt: '2030-01-01T00:00:01.000Z', outcome: 'no_answer' });
      expect(await store.updateEscalation('CA1', '999999', { outcome: 'x' })).toBeUndefined();
      expect(await store.updateEscalation('CA1', 'not-an-id', { outcome: 'x' })).toBeUndefined();
      const next = await store.claimEscalation('CA1', { trigger: 'api' });
      expect(next.outcome).toBe('claimed');
      expect((await store.get('CA1'))!.escalations!.map((e) => [e.trigger, e.outcome])).toEqual([
        ['dtmf', 'no_answer'],
        ['api', undefined],
      ]);
      expect(await store.claimEscalation('CA-none', { trigger: 'api' })).toEqual({ outcome: 'not_found' });
    });

    it('stores an idempotency key once and replays its response', async () => {
      const begins = await times(10, () => store.beginIdempotent('POST /calls', 'k1', 'h1'));
      expect(begins.filter((b) => b.outcome === 'started')).toHaveLength(1);
      expect(begins.find((b) => b.outcome === 'exists')).toMatchObject({ entry: { requestHash: 'h1' } });
      expect(await store.abandonIdempotent('POST /calls', 'k1')).toBe(true);
      expect((await store.beginIdempotent('POST /calls', 'k1', 'h2')).outcome).toBe('started');
      expect(await store.completeIdempotent('POST /calls', 'k1', { status: 201, body: { callSid: 'CA1' } })).toBe(true);
      expect(await store.completeIdempotent('POST /calls', 'k1', { status: 500, body: {} })).toBe(false);
      expect(await store.abandonIdempotent('POST /calls', 'k1')).toBe(false);
      expect(await store.beginIdempotent('POST /calls', 'k1', 'h2')).toEqual({
        outcome: 'exists',
        entry: {
          scope: 'POST /calls',
          key: 'k1',
          requestHash: 'h2',
          createdAt: '2030-01-01T00:00:00.000Z',
          completedAt: '2030-01-01T00:00:00.000Z',
          response: { status: 201, body: { callSid: 'CA1' } },
        },
      });
      expect(await store.lookupIdempotent('other', 'k1')).toBeUndefined();
    });

    it('lists newest first with a keyset cursor and filters', async () => {
      for (let i = 1; i <= 7; i++) {
        await store.open(call(`CA${i}`, { from: i % 2 ? '+1odd' : '+1even', to: i <= 3 ? '+1a' : '+1b' }));
        clock.advance(1000);
      }
      await store.transition('CA6', 'connected');
      const sids = (p: { items: readonly CallRecord[] }) => p.items.map((r) => r.callSid);
      const first = await store.list({ limit: 3 });
      expect(sids(first)).toEqual(['CA7', 'CA6', 'CA5']);
      const second = await store.list({ limit: 3, cursor: first.nextCursor });
      expect(sids(second)).toEqual(['CA4', 'CA3', 'CA2']);
      const last = await store.list({ limit: 3, cursor: second.nextCursor });
      expect(sids(last)).toEqual(['CA1']);
      expect(last.nextCursor).toBeUndefined();
      // A call created after the first page does not shift later pages.
      await store.open(call('CA8'));
      expect(sids(await store.list({ limit: 3, cursor: first.nextCursor }))).toEqual(['CA4', 'CA3', 'CA2']);

      const odd = await store.list({ limit: 2, from: '+1odd' });
      expect(sids(odd)).toEqual(['CA7', 'CA5']);
      expect(sids(await store.list({ limit: 2, from: '+1odd', cursor: odd.nextCursor }))).toEqual(['CA3', 'CA1']);
      expect(sids(await store.list({ limit: 10, to: '+1a' }))).toEqual(['CA3', 'CA2', 'CA1']);
      expect(sids(await store.list({ limit: 10, state: 'connected' }))).toEqual(['CA6']);
      expect(
        sids(await store.list({ limit: 10, since: '2030-01-01T00:00:02.000Z', until: '2030-01-01T00:00:04.000Z' })),
      ).toEqual(['CA4', 'CA3']);
      expect(sids(await store.list({ limit: 10, from: '+1even', to: '+1b', state: 'ringing' }))).toEqual(['CA4']);
    });
  });
}

/** One scenario through every operation, as a record: the same on every back end. */
async function scenario(store: CallStore, clock: ManualClock): Promise<CallRecord> {
  await store.open(call('CA1', { agentId: 'agent_1', metadata: { crm: 'lead-1' }, dynamicVariables: { n: 'Ada' } }));
  await store.recordVoiceWebhook(call('CA1'));
  clock.advance(10);
  await store.claimRegistration('CA1', 3000);
  await store.completeRegistration('CA1', { retellCallId: 'call_1', agentId: 'agent_1' });
  clock.advance(10);
  await store.applyStatus('CA1', { status: 'in-progress', sequenceNumber: 2 });
  await store.applyStatus('CA1', { status: 'ringing', sequenceNumber: 1 });
  await store.recordStreamEvent('CA1', { event: 'stream-started', streamSid: 'MZ1' });
  await store.attachMedia('CA1', {
    streamSid: 'MZ1',
    mode: 'relay',
    tracks: ['inbound'],
    frames: { inbound: 0, outbound: 0 },
    dropped: {},
    relay: {
      upstreamUrl: 'wss://agent/',
      bargeIns: 0,
      clearsSent: 0,
      marksPending: 0,
      agentFrames: 0,
      agentFramesDropped: 0,
    },
  });
  await store.recordRetellEvent('CA1', {
    event: 'call_started',
    occurrence: '',
    retellCallId: 'call_1',
    facts: { callStatus: 'ongoing' },
    connects: true,
  });
  await store.recordRetellEvent('CA1', {
    event: 'transfer_started',
    occurrence: '1900000000000',
    retellCallId: 'call_1',
    facts: {},
  });
  clock.advance(10);
  await store.claimEscalation('CA1', { trigger: 'dtmf', target: '+15559999' });
  await store.detachMedia('CA1', 'MZ1', { frames: { inbound: 10, outbound: 0 }, dropped: { flood: 2 } });
  await store.applyStatus('CA1', { status: 'completed', sequenceNumber: 3, callDuration: 12, sipResponseCode: 200 });
  return (await store.get('CA1'))!;
}

contract(memory);
contract(sqlite);

const describeIfPostgres = await describePostgres();
describeIfPostgres('PostgreSQL', () => contract(postgres));

describe('every back end', () => {
  it('assembles the same record from the same operations', async () => {
    const backends = [memory, sqlite, ...(describeIfPostgres === describe ? [postgres] : [])];
    const records = [];
    for (const backend of backends) {
      const clock = new ManualClock();
      const { store, dispose } = await backend.make(clock);
      try {
        records.push(JSON.parse(JSON.stringify(await scenario(store, clock))) as CallRecord);
      } finally {
        await dispose();
      }
    }
    const [reference, ...others] = records;
    expect(reference).toMatchObject({
      state: 'ended',
      stateTimes: { registered: expect.any(String), connected: expect.any(String), ended: expect.any(String) },
      escalations: [{ trigger: 'dtmf', target: '+15559999' }],
      media: { streamSid: 'MZ1', endedAt: expect.any(String), dropped: { flood: 2 } },
    });
    for (const other of others) expect(other).toEqual(reference);
  });
});
