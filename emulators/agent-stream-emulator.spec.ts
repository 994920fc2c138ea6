import { AgentStreamEmulator } from './agent-stream-emulator.js';
import { MediaStreamClient } from './media-stream-client.js';
import { MULAW_SILENCE, readPayloadStamp, TrackAudio } from './mulaw-audio.js';
import { linearToMulaw } from './testing/tone.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 8 kHz mu-law sine: loud enough to count as speech. */
function tone(ms: number, amplitude = 8000, hz = 440): Uint8Array {
  const out = new Uint8Array(ms * 8);
  for (let i = 0; i < out.length; i++)
    out[i] = linearToMulaw(Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / 8000)));
  return out;
}

/** Plays the relay's part: a Twilio-side bidirectional stream straight to the agent. */
function relayTo(url: string, inbound: TrackAudio, stampFrames = false) {
  return new MediaStreamClient({
    url: `${url}/agent`,
    accountSid: 'AC1',
    callSid: 'CA1',
    mode: 'bidirectional',
    audio: { inbound },
    stampFrames,
  });
}

describe(AgentStreamEmulator.name, () => {
  let agent: AgentStreamEmulator;
  afterEach(() => agent.close());

  it('echo: sends every inbound frame back and records when each arrived, keyed by stamp', async () => {
    agent = new AgentStreamEmulator({ mode: 'echo' });
    const url = await agent.start();
    const client = relayTo(url, new TrackAudio(), true);
    await client.open();
    await sleep(600);
    await client.stop();
    const c = agent.connections[0]!;
    expect(c).toMatchObject({ path: '/agent', connected: true, stopReceived: true, streamSid: client.streamSid });
    expect(c.start).toMatchObject({ callSid: 'CA1', tracks: ['inbound'] });
    expect(c.media.length).toBeGreaterThanOrEqual(8);
    expect(c.media.map((m) => m.stamp)).toEqual(c.media.map((m) => m.chunk));
    // The echoed audio comes back with the same stamps, so round trips can be measured per frame.
    const back = client.record.received.media;
    expect(back.length).toBeGreaterThanOrEqual(c.media.length - 1);
    const sent = client.record.sentMedia;
    const sentAt = new Map(sent.map((f, i) => [f.stamp, { t: f.t, i }]));
    // Each frame comes back while the stream is still playing, not batched up: its echo arrives before the client
    // sends the frame 10 places (200 ms) after it. Both ends share this process, so a stall of the machine delays
    // sender and echo alike; a wall-clock bound would fail on a busy CI box without the emulator being wrong.
    let judged = 0;
    for (const m of back) {
      const orig = sentAt.get(m.stamp!)!;
      expect(m.t).toBeGreaterThanOrEqual(orig.t);
      const later = sent[orig.i + 10];
      if (!later) continue;
      expect(m.t).toBeLessThan(later.t);
      judged += 1;
    }
    expect(judged).toBeGreaterThanOrEqual(15);
    expect(readPayloadStamp(Buffer.from([0x5a, 0xa5, 0, 0, 7]).toString('base64'))).toBe(7);
  });

  it('scripted: answers after the caller stops talking, faster than real time, then a mark the relay echoes', async () => {
    agent = new AgentStreamEmulator({
      mode: 'scripted',
      scripted: {
        responses: [new Uint8Array(4000).fill(0x55)],
        turnDetection: { kind: 'energy', silenceMs: 200 },
        burstMs: 200,
        burstIntervalMs: 50,
      },
    });
    const url = await agent.start();
    const client = relayTo(url, new TrackAudio([{ clip: tone(300), atMs: 0 }]));
    await client.open();
    await sleep(1300);
    const c = agent.connections[0]!;
    expect(c.responses).toHaveLength(1);
    const r = c.responses[0]!;
    // Turn end ≈ 300 ms speech + 200 ms silence; 500 ms of audio sent in 3 bursts over ~100 ms.
    expect(r.turnEndAt).toBeGreaterThan(450);
    expect(r.turnEndAt).toBeLessThan(650);
    expect(r.lastMediaAt! - r.firstMediaAt!).toBeLessThan(200);
    expect(c.sent).toMatchObject({ bytes: 4000, marks: ['response-1'] });
    // The relay side played 500 ms and then echoed the mark.
    expect(client.record.received.marks[0]).toMatchObject({ name: 'response-1', cleared: false });
    expect(r.markEchoedAt! - r.lastMediaAt!).toBeGreaterThan(300);
    expect(client.agentAudio().every((b) => b === 0x55)).toBe(true);
    await client.stop();
  });

  it('scripted: a greeting, and a clear when the caller barges in', async () => {
    agent = new AgentStreamEmulator({
      mode: 'scripted',
      scripted: {
        greeting: new Uint8Array(8000).fill(0x44), // 1 s
        responses: [new Uint8Array(800).fill(0x33)],
        turnDetection: { kind: 'energy', silenceMs: 2000, minSpeechMs: 60 },
        clearOnBargeIn: true,
      },
    });
    const url = await agent.start();
    // The caller talks over the greeting at 200 ms.
    const client = relayTo(url, new TrackAudio([{ clip: tone(200), atMs: 200 }]));
    await client.open();
    await sleep(500);
    const c = agent.connections[0]!;
    expect(c.responses[0]).toMatchObject({ markName: 'greeting', bargedIn: true });
    expect(c.sent.clears).toBe(1);
    expect(client.record.received.clears).toHaveLength(1);
    expect(client.record.received.marks[0]).toMatchObject({ name: 'greeting', cleared: true });
    await client.stop();
    expect(MULAW_SILENCE).toBe(0xff);
  });

  it('scripted: responds at fixed times of inbound audio', async () => {
    agent = new AgentStreamEmulator({
      mode: 'scripted',
      scripted: {
        responses: [new Uint8Array(160).fill(1), new Uint8Array(160).fill(2)],
        turnDetection: { kind: 'fixed', atMs: [100, 200] },
      },
    });
    const url = await agent.start();
    const client = relayTo(url, new TrackAudio());
    await client.open();
    await sleep(350);
    await client.stop();
    expect(agent.connections[0]!.responses.map((r) => r.markName)).toEqual(['response-1', 'response-2']);
    expect(agent.connections[0]!.responses[0]!.turnEndAt).toBeGreaterThan(70);
  });

  it('can be killed mid-call, refuse connections, and die (stop listening) for fallback tests', async () => {
    agent = new AgentStreamEmulator({ mode: 'echo' });
    const url = await agent.start();
    const first = relayTo(url, new TrackAudio());
    await first.open();
    await sleep(50);
    agent.kill();
    await expect(first.closed).resolves.toMatchObject({ by: 'server', code: 1006 });
    expect(agent.connections[0]!.closed).toMatchObject({ by: 'killed' });

    agent.refuse(503);
    const refused = relayTo(url, new TrackAudio());
    expect(await refused.open()).toBe(false);
    expect(refused.record.handshakeError).toMatchObject({ status: 503 });
    agent.accept();

    await agent.die();
    const dead = relayTo(url, new TrackAudio());
    expect(await dead.open()).toBe(false);
    expect(dead.record.handshakeError?.message).toMatch(/ECONNREFUSED/);
    await agent.resume();
    const again = relayTo(url, new TrackAudio());
    expect(await again.open()).toBe(true);
    await again.stop();
  });
});
