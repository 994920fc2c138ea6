import { EventEmitter2 } from '@nestjs/event-emitter';
import { MEDIA_EVENTS } from '../src/media/media.events.js';
import { MetricsService } from '../src/metrics/metrics.service.js';
import { MediaSessionRegistry } from '../src/media/session/media-session.registry.js';
import { eventually, startHarness, type Harness } from './support/harness.js';
import { expectModelRan } from './support/model-ran.js';
import { speechSpan } from './support/labels.js';

/**
 * A scripted conversation on a forked call, at real 20 ms pace. Times are stream time (ms since the stream started):
 *
 *   caller  s1_clean  ████████████                                   (turn 1)
 *   agent                          ██████████████                    (answers after a 2.5 s pause)
 *   caller                                     ██████████████        (interrupts the agent 360 ms before it stops)
 *   caller                                                    [0]    (DTMF tone)
 */
const s1 = speechSpan('s1_clean');
const s2 = speechSpan('s2_clean');
const PAUSE_MS = 2500;
const YIELD_MS = 360;
const callerTurn1 = { start: s1.onsetMs, end: s1.endMs };
const agentAt = callerTurn1.end + PAUSE_MS - s2.onsetMs;
const agentTurn = { start: agentAt + s2.onsetMs, end: agentAt + s2.endMs };
const callerTurn2Start = agentTurn.end - YIELD_MS;
const callerAt2 = callerTurn2Start - s2.onsetMs;
const callerTurn2 = { start: callerTurn2Start, end: callerAt2 + s2.endMs };
const DTMF_AT = callerAt2 + 7600;
const TOLERANCE_MS = 60;

describe('media fork: live conversation analytics', () => {
  let h: Harness;
  const events: { name: string; payload: Record<string, unknown>; wall: number }[] = [];

  beforeAll(async () => {
    h = await startHarness({ env: { MEDIA_MODE: 'fork' } });
    const emitter = h.app.get(EventEmitter2);
    for (const name of Object.values(MEDIA_EVENTS)) {
      emitter.on(name, (payload: Record<string, unknown>) => events.push({ name, payload, wall: performance.now() }));
    }
  });
  afterAll(() => h.close());

  it('measures response latency, the interruption and its yield, dead air and DTMF within 60 ms of the script', async () => {
    const outcome = await h.stack.twilio.runInboundCall({
      from: '+15551112222',
      to: '+15550000000',
      script: {
        caller: [
          { clip: 's1_clean', atMs: 0, text: 'My order has not arrived.' },
          { clip: 's2_clean', atMs: callerAt2, text: 'Sorry, one more thing.' },
          { clip: 'dtmf_0', atMs: DTMF_AT },
        ],
        agent: [{ clip: 's2_clean', atMs: agentAt, text: 'Let me look that up for you.' }],
        durationMs: DTMF_AT + 1800,
      },
    });
    expect(outcome.errors).toEqual([]);
    const stream = outcome.streams[0]!;
    expect(stream.tracks).toEqual(['inbound', 'outbound']);

    const record = await eventually(
      async () => {
        const r = await h.call(outcome.callSid);
        return r.media?.endedAt && r.media.analytics ? r : undefined;
      },
      10_000,
      'final analytics on the call record',
    );
    const a = record.media!.analytics!;
    const coveredMs = a.coveredMs;

    // Caller stops → agent starts: one turn, the scripted pause.
    expect(a.responseLatenciesMs).toHaveLength(1);
    expect(Math.abs(a.responseLatenciesMs[0]! - PAUSE_MS)).toBeLessThanOrEqual(TOLERANCE_MS);
    expect(a.responseLatencyMs.p50).toBe(a.responseLatenciesMs[0]);

    // The caller spoke over the agent once; the agent stopped 360 ms later.
    expect(a.interruptions).toHaveLength(1);
    expect(Math.abs(a.interruptions[0]!.at - callerTurn2.start)).toBeLessThanOrEqual(TOLERANCE_MS);
    expect(Math.abs(a.interruptions[0]!.yieldMs! - YIELD_MS)).toBeLessThanOrEqual(TOLERANCE_MS);

    // Both silent: the pause, and the tail after the caller's last turn (the DTMF tone is not speech).
    const expectedDeadAir = PAUSE_MS + (coveredMs - callerTurn2.end);
    expect(Math.abs(a.deadAir.totalMs - expectedDeadAir)).toBeLessThanOrEqual(2 * TOLERANCE_MS);
    expect(Math.abs(a.deadAir.longestMs - Math.max(PAUSE_MS, coveredMs - callerTurn2.end))).toBeLessThanOrEqual(
      TOLERANCE_MS,
    );

    const callerTalk = callerTurn1.end - callerTurn1.start + (callerTurn2.end - callerTurn2.start);
    expect(Math.abs(a.talkTimeMs.caller - callerTalk)).toBeLessThanOrEqual(2 * TOLERANCE_MS);
    expect(Math.abs(a.talkTimeMs.agent - (agentTurn.end - agentTurn.start))).toBeLessThanOrEqual(2 * TOLERANCE_MS);
    expect(Math.abs(a.overlapMs - YIELD_MS)).toBeLessThanOrEqual(2 * TOLERANCE_MS);

    expect(a.dtmf.map((d) => d.digit)).toEqual(['0']);
    expect(a.dtmf[0]!.at).toBeGreaterThanOrEqual(DTMF_AT);
    expect(a.dtmf[0]!.at).toBeLessThan(DTMF_AT + 1200);

    // Every frame the emulator sent was received and counted.
    expect(record.media!.frames).toEqual(stream.sent.media);
    expect(record.media!.dropped).toEqual({});

    // Live events went out as the conversation happened.
    const of = (name: string) => events.filter((e) => e.name === name && e.payload.callSid === outcome.callSid);
    expect(of(MEDIA_EVENTS.speechStarted).map((e) => e.payload.speaker)).toEqual(['caller', 'agent', 'caller']);
    expect(of(MEDIA_EVENTS.speechStopped)).toHaveLength(3);
    expect(of(MEDIA_EVENTS.interruption)).toHaveLength(1);
    expect(of(MEDIA_EVENTS.deadAir).length).toBeGreaterThanOrEqual(1);
    expect(of(MEDIA_EVENTS.deadAir)[0]!.payload.ms).toBeGreaterThanOrEqual(2000);
    expect(of(MEDIA_EVENTS.dtmf).map((e) => e.payload.digit)).toEqual(['0']);
    expect(of(MEDIA_EVENTS.streamEnded)).toHaveLength(1);

    // speech.started for the caller went out within 160 ms (audio time) of the onset: wall clock from the stream start.
    const started = of(MEDIA_EVENTS.speechStarted)[0]!;
    expect(Math.abs((started.payload.at as number) - callerTurn1.start)).toBeLessThanOrEqual(TOLERANCE_MS);

    expect(h.app.get(MediaSessionRegistry).size).toBe(0);
    await expectModelRan(h.app);
    // …and the metrics say how many windows it judged once the stream ended.
    const metrics = await h.app.get(MetricsService).registry.metrics();
    expect(Number(/callbridge_vad_windows_total\{judged_by="model"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
  });
});
