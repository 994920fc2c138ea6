import { MediaSessionRegistry } from '../src/media/session/media-session.registry.js';
import { eventually, startHarness, type Harness } from './support/harness.js';
import { expectModelRan } from './support/model-ran.js';
import { speechSpan } from './support/labels.js';

const FALLBACK_NUMBER = '+15550009999';

// How soon the clear follows the caller's onset is a latency, measured by the bench (`npm run bench -- --modes relay`),
// not asserted here.
describe('media relay: a raw-audio agent with barge-in', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      env: { MEDIA_MODE: 'relay', FALLBACK_NUMBER },
      // The agent answers each caller turn with a long clip, sent in bursts a little faster than real time, then a mark.
      // It does not act on the relay's `clear`: the relay itself must keep the rest of the answer from playing.
      agent: {
        mode: 'scripted',
        scripted: {
          responses: ['s1_clean'],
          turnDetection: { kind: 'energy' },
          burstMs: 400,
          burstIntervalMs: 300,
          ignoreClear: true,
        },
      },
    });
  });
  afterAll(() => h.close());

  it('clears the agent audio queued at Twilio when the caller speaks over it, and tracks marks', async () => {
    const bargeInOnset = 10_000; // the agent's 8 s answer starts ~7 s in: still playing, and still arriving
    const s1 = speechSpan('s1_clean');
    const outcome = await h.stack.twilio.runInboundCall({
      from: '+15551112222',
      to: '+15550000000',
      script: {
        caller: [
          { clip: 's2_clean', atMs: 0, text: 'Where is my parcel?' },
          { clip: 's1_clean', atMs: bargeInOnset - s1.onsetMs, text: 'No wait, the other one.' },
        ],
        durationMs: bargeInOnset + 3000,
      },
    });
    expect(outcome.errors).toEqual([]);
    const stream = outcome.streams[0]!;
    expect(stream.mode).toBe('bidirectional');
    expect(stream.received.invalid).toEqual([]); // nothing Twilio would reject (error 31951)

    // The agent's answer reached the caller before the barge-in…
    expect(stream.received.media.filter((m) => m.t < bargeInOnset).length).toBeGreaterThan(50);
    // …and was cleared after the caller's onset in the audio, while the caller was still speaking.
    const callerStops = bargeInOnset + (s1.endMs - s1.onsetMs);
    const clear = stream.received.clears.find((c) => c.t >= bargeInOnset);
    expect(clear).toBeDefined();
    expect(clear!.t).toBeLessThan(callerStops);
    expect(clear!.droppedBytes).toBeGreaterThan(0);
    expect(clear!.flushedMarks.length).toBeGreaterThan(0);

    const agent = h.stack.agent!.connections.at(-1)!;
    expect(agent.start?.callSid).toBe(outcome.callSid);
    expect(agent.streamSid).not.toBe(stream.streamSid); // the relay gives the agent its own stream SID
    expect(agent.clearsReceived.length).toBeGreaterThanOrEqual(1); // told about the barge-in
    expect(agent.marksReceived.map((m) => m.name)).toContain(agent.responses[0]!.markName); // its mark came back
    expect(agent.stopReceived).toBe(true);
    // The rest of the interrupted answer kept arriving from the agent but never reached the caller.
    expect(agent.openedAt + agent.responses[0]!.lastMediaAt! - stream.startedAt!).toBeGreaterThan(clear!.t + 500);
    expect(stream.received.media.filter((m) => m.t > clear!.t + 100 && m.t < callerStops)).toEqual([]);

    const record = await eventually(
      async () => {
        const r = await h.call(outcome.callSid);
        return r.media?.endedAt ? r : undefined;
      },
      5000,
      'the relay to finish',
    );
    expect(record.media!.relay).toMatchObject({ bargeIns: 1, marksPending: 0 });
    expect(record.media!.relay!.agentFramesDropped).toBeGreaterThan(0); // the rest of the interrupted answer never played
    expect(record.state).toBe('ended');
    expect(h.app.get(MediaSessionRegistry).size).toBe(0);
    // The model heard the barge-in (not the first stage after a silent model failure).
    await expectModelRan(h.app);
  });

  it('sends the call to the fallback through Twilio REST when the agent dies mid-call, releasing its sockets', async () => {
    const call = h.stack.twilio.placeInboundCall({
      from: '+15551112222',
      to: '+15550000000',
      script: { caller: [{ clip: 's2_clean', atMs: 0 }], durationMs: 4000 },
    });
    const connection = await h.stack.agent!.nextConnection(5000);
    await eventually(() => (connection.media.length > 25 ? true : undefined), 5000, 'audio to reach the agent');
    h.stack.agent!.kill();
    const outcome = await call.outcome;

    const redirect = h.stack.twilio.restRequests.find(
      (r) => r.method === 'POST' && r.path.endsWith(`/Calls/${outcome.callSid}.json`),
    );
    expect(redirect?.params.Twiml).toContain('<Say>');
    expect(outcome.says.length).toBe(1);
    expect(outcome.transfers).toEqual([FALLBACK_NUMBER]);
    const record = await h.call(outcome.callSid);
    expect(record).toMatchObject({ stateReason: 'agent_stream_lost', stateTimes: { fallback: expect.any(String) } });
    expect(record.media!.relay!.closedReason).toMatch(/agent socket closed/);
    expect(outcome.streams[0]!.closed).toBeDefined();
    expect(h.app.get(MediaSessionRegistry).size).toBe(0);
    await h.stack.agent!.resume();
  });

  it('falls back when the agent refuses the connection', async () => {
    h.stack.agent!.refuse(503);
    try {
      const outcome = await h.stack.twilio.runInboundCall({
        from: '+15551112222',
        to: '+15550000000',
        script: { caller: [{ clip: 's2_clean', atMs: 0 }], durationMs: 3000 },
      });
      expect(outcome.transfers).toEqual([FALLBACK_NUMBER]);
      expect((await h.call(outcome.callSid)).stateReason).toBe('agent_stream_lost');
    } finally {
      h.stack.agent!.accept();
    }
  });
});
