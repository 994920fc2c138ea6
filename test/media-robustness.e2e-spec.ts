import { MediaSessionRegistry } from '../src/media/session/media-session.registry.js';
import { eventually, startHarness, type Harness } from './support/harness.js';
import { speechSpan } from './support/labels.js';

const finished = (h: Harness, sid: string) =>
  eventually(
    async () => {
      const r = await h.call(sid);
      return r.media?.endedAt && r.media.analytics ? r : undefined;
    },
    10_000,
    `final media record of ${sid}`,
  );

describe('media gateway under bad input', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { MEDIA_MODE: 'fork' } });
  });
  afterAll(() => h.close());

  it('counts and survives malformed, oversized, unknown, binary, duplicate, out-of-order and flooding frames, while another call is measured as usual', async () => {
    const s1 = speechSpan('s1_clean');
    const s2 = speechSpan('s2_clean');
    const pause = 1000;
    const agentAt = s1.endMs + pause - s2.onsetMs;
    const conversation = {
      caller: [{ clip: 's1_clean', atMs: 0 }],
      agent: [{ clip: 's2_clean', atMs: agentAt }],
      durationMs: agentAt + s2.endMs + 500,
    };
    const hostile = h.stack.twilio.placeInboundCall({
      from: '+15551110001',
      to: '+15550000000',
      script: {
        ...conversation,
        streamFaults: {
          malformedAfterChunks: [10, 20],
          oversizedAfterChunks: [30],
          unknownEventAfterChunks: [40],
          binaryAfterChunks: [45],
          duplicateEvery: 25,
          swapEvery: 15,
          flood: { afterChunk: 200, frames: 3000 },
        },
      },
    });
    const healthy = h.stack.twilio.placeInboundCall({ from: '+15551110002', to: '+15550000000', script: conversation });
    const [bad, good] = await Promise.all([hostile.outcome, healthy.outcome]);

    // The hostile stream was not cut off: it ran to the end of the call and Twilio (the emulator) closed it.
    expect(bad.streams[0]!.closed?.by).toBe('client');
    const badRecord = await finished(h, bad.callSid);
    expect(badRecord.media!.dropped).toMatchObject({
      not_json: expect.any(Number),
      oversized: 1,
      unknown_event: 1,
      flood: expect.any(Number),
      duplicate: expect.any(Number),
    });
    expect(badRecord.media!.dropped.not_json).toBeGreaterThanOrEqual(3); // two malformed + one binary frame
    expect(badRecord.media!.dropped.flood).toBeGreaterThan(2000);
    // Out-of-order frames were put back in order, not lost: the conversation still measures right.
    const badAnalytics = badRecord.media!.analytics!;
    expect(badAnalytics.responseLatenciesMs).toHaveLength(1);
    expect(Math.abs(badAnalytics.responseLatenciesMs[0]! - pause)).toBeLessThanOrEqual(60);

    const goodRecord = await finished(h, good.callSid);
    expect(goodRecord.media!.dropped).toEqual({});
    expect(goodRecord.media!.frames).toEqual(good.streams[0]!.sent.media);
    expect(goodRecord.media!.analytics!.responseLatenciesMs).toHaveLength(1);
    expect(Math.abs(goodRecord.media!.analytics!.responseLatenciesMs[0]! - pause)).toBeLessThanOrEqual(60);

    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/callbridge_media_frames_dropped_total\{reason="oversized"\} [1-9]/);
    expect(metrics).toMatch(/callbridge_media_frames_dropped_total\{reason="flood"\} [1-9]/);
    expect(h.app.get(MediaSessionRegistry).size).toBe(0);
  });

  it('closes a socket whose single message is over 1 MiB, and nothing else', async () => {
    const { WebSocket } = await import('ws');
    const twilio = (await import('twilio')).default;
    const url = 'wss://callbridge.test/twilio/media';
    const signature = twilio.getExpectedTwilioSignature(h.stack.env.TWILIO_AUTH_TOKEN!, url, {});
    const socket = new WebSocket(`${h.url.replace('http', 'ws')}/twilio/media`, {
      headers: { 'x-twilio-signature': signature },
    });
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send('x'.repeat(1024 * 1024 + 1));
    const code = await new Promise<number>((resolve) => socket.once('close', resolve));
    expect(code).toBe(1009);
    expect((await fetch(`${h.url}/health/live`)).status).toBe(200);
  });
});
