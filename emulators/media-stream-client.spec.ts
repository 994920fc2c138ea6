import { jest } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import twilio from 'twilio';
import { type WebSocket, WebSocketServer } from 'ws';
import { closeServer, listen } from './emulator-http.js';
import { FramePacer } from './frame-pacer.js';
import { MediaStreamClient } from './media-stream-client.js';
import { TrackAudio } from './mulaw-audio.js';
import { TwilioWebhookSigner } from './twilio-webhook-signer.js';

const AUTH_TOKEN = 'test_auth_token';
const SIGNED_URL = 'wss://callbridge.test/twilio/media';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- frames are inspected loosely in assertions
type Json = Record<string, any>;

/** A tiny Media Streams server: records frames with arrival times, and lets the test talk back. */
async function streamServer(opts: { requireSignature?: boolean } = {}) {
  const frames: { json?: Json; raw: string; at: number; binary: boolean }[] = [];
  const upgrades: IncomingMessage[] = [];
  const server: Server = createServer();
  const wss = new WebSocketServer({
    server,
    verifyClient: (info: { req: IncomingMessage }) => {
      upgrades.push(info.req);
      if (!opts.requireSignature) return true;
      const sig = info.req.headers['x-twilio-signature'];
      return typeof sig === 'string' && twilio.validateRequest(AUTH_TOKEN, sig, SIGNED_URL, {});
    },
  });
  let socket: WebSocket | undefined;
  const connected = new Promise<WebSocket>((resolve) =>
    wss.on('connection', (ws) => {
      socket = ws;
      ws.on('message', (data, binary) => {
        const raw = binary ? '' : data.toString();
        let json: Json | undefined;
        try {
          json = JSON.parse(raw) as Json;
        } catch {
          json = undefined;
        }
        frames.push({ json, raw, at: performance.now(), binary });
      });
      resolve(ws);
    }),
  );
  const port = await listen(server, '127.0.0.1', 0);
  return {
    url: `ws://127.0.0.1:${port}/twilio/media`,
    frames,
    upgrades,
    connected,
    send: (frame: unknown) => socket!.send(JSON.stringify(frame)),
    media: () => frames.filter((f) => f.json?.event === 'media').map((f) => f.json!),
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await closeServer(server);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(MediaStreamClient.name, () => {
  it('forks both tracks: signed upgrade, connected/start, numbered media paced at 20 ms, stop', async () => {
    const server = await streamServer({ requireSignature: true });
    const caller = new Uint8Array(480).fill(0x10); // 60 ms of "speech"
    const agent = new Uint8Array(160).fill(0x20);
    const client = new MediaStreamClient({
      url: server.url,
      signedUrl: SIGNED_URL,
      signer: new TwilioWebhookSigner(AUTH_TOKEN),
      accountSid: 'AC' + '0'.repeat(32),
      callSid: 'CA' + '1'.repeat(32),
      mode: 'fork',
      track: 'both_tracks',
      customParameters: { callSid: 'CA1', direction: 'inbound' },
      audio: {
        inbound: new TrackAudio([{ clip: caller, atMs: 40 }]),
        outbound: new TrackAudio([{ clip: agent, atMs: 20 }]),
      },
    });
    try {
      expect(await client.open()).toBe(true);
      await sleep(500);
      await client.stop();

      const [connected, start] = server.frames.map((f) => f.json!);
      expect(connected).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
      expect(start).toEqual({
        event: 'start',
        sequenceNumber: '1',
        streamSid: client.streamSid,
        start: {
          accountSid: 'AC' + '0'.repeat(32),
          streamSid: client.streamSid,
          callSid: 'CA' + '1'.repeat(32),
          tracks: ['inbound', 'outbound'],
          customParameters: { callSid: 'CA1', direction: 'inbound' },
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      });
      expect(client.streamSid).toMatch(/^MZ[0-9a-f]{32}$/);

      const media = server.media();
      // Interleaved tracks, one global sequence, per-track chunks, timestamps in ms since start: all strings.
      expect(media.slice(0, 4).map((m) => [m.sequenceNumber, m.media.track, m.media.chunk, m.media.timestamp])).toEqual(
        [
          ['2', 'inbound', '1', '0'],
          ['3', 'outbound', '1', '0'],
          ['4', 'inbound', '2', '20'],
          ['5', 'outbound', '2', '20'],
        ],
      );
      media.forEach((m, i) => expect(Number(m.sequenceNumber)).toBe(i + 2));
      const inbound = media.filter((m) => m.media.track === 'inbound');
      inbound.forEach((m, i) => expect(m.media.chunk).toBe(String(i + 1)));
      expect(inbound.length).toBeGreaterThanOrEqual(23);
      expect(inbound.length).toBeLessThanOrEqual(28);

      // Audio: caller clip in chunks 3-5, agent clip in outbound chunk 2, silence elsewhere.
      const bytes = (m: Json) => Buffer.from(m.media.payload as string, 'base64');
      expect(inbound.map((m) => bytes(m).byteLength).every((n) => n === 160)).toBe(true);
      expect(inbound.slice(0, 6).map((m) => bytes(m)[0])).toEqual([0xff, 0xff, 0x10, 0x10, 0x10, 0xff]);
      const outbound = media.filter((m) => m.media.track === 'outbound');
      expect(outbound.slice(0, 3).map((m) => bytes(m)[0])).toEqual([0xff, 0x20, 0xff]);

      // Pacing from an absolute clock (server and client share performance.now()): frame k never leaves before
      // start + k*20 ms. How late it may be is the machine's business; the FramePacer spec below proves no drift.
      const lateness = server.frames
        .filter((f) => f.json?.event === 'media' && f.json.media.track === 'inbound')
        .map((f, k) => f.at - client.startPerf - k * 20);
      expect(Math.min(...lateness)).toBeGreaterThan(-1);

      const stop = server.frames.find((f) => f.json?.event === 'stop')!.json!;
      expect(stop).toEqual({
        event: 'stop',
        sequenceNumber: String(media.length + 2),
        streamSid: client.streamSid,
        stop: { accountSid: 'AC' + '0'.repeat(32), callSid: 'CA' + '1'.repeat(32) },
      });
      expect(client.record.closed).toMatchObject({ by: 'client', code: 1000 });
    } finally {
      await client.stop();
      await server.close();
    }
  });

  it('signs the upgrade over the wss:// URL as written, so twilio.validateRequest accepts it', async () => {
    const server = await streamServer();
    const client = new MediaStreamClient({
      url: server.url,
      signedUrl: SIGNED_URL,
      signer: new TwilioWebhookSigner(AUTH_TOKEN),
      accountSid: 'AC1',
      callSid: 'CA1',
      mode: 'fork',
    });
    try {
      await client.open();
      const sig = server.upgrades[0]!.headers['x-twilio-signature'] as string;
      expect(twilio.validateRequest(AUTH_TOKEN, sig, SIGNED_URL, {})).toBe(true);
      expect(twilio.validateRequest(AUTH_TOKEN, sig, SIGNED_URL.replace('wss:', 'https:'), {})).toBe(false);
    } finally {
      await client.stop();
      await server.close();
    }
  });

  it('reports a refused upgrade (bad signature) without connecting', async () => {
    const server = await streamServer({ requireSignature: true });
    const client = new MediaStreamClient({
      url: server.url,
      signedUrl: SIGNED_URL,
      signer: new TwilioWebhookSigner(AUTH_TOKEN),
      signatureMode: 'wrong',
      accountSid: 'AC1',
      callSid: 'CA1',
      mode: 'fork',
    });
    try {
      expect(await client.open()).toBe(false);
      expect(client.record.handshakeError).toMatchObject({ status: 401 });
      await expect(client.closed).resolves.toMatchObject({ by: 'failed' });
    } finally {
      await server.close();
    }
  });

  it('plays server audio in real time: marks echo after their audio, clear flushes pending marks at once', async () => {
    const server = await streamServer();
    const client = new MediaStreamClient({
      url: server.url,
      accountSid: 'AC1',
      callSid: 'CA1',
      mode: 'bidirectional',
      dtmf: [{ digit: '7', atMs: 40 }],
    });
    try {
      await client.open();
      await server.connected;
      const streamSid = client.streamSid;
      const t0 = performance.now();
      server.send({ event: 'media', streamSid, media: { payload: Buffer.alloc(800, 0x11).toString('base64') } }); // 100 ms
      server.send({ event: 'mark', streamSid, mark: { name: 'm1' } });
      server.send({ event: 'media', streamSid: 'MZwrong', media: { payload: 'AAAA' } });
      const echo1 = await waitFor(() =>
        server.frames.find((f) => f.json?.event === 'mark' && f.json.mark.name === 'm1'),
      );
      expect(echo1.at - t0).toBeGreaterThanOrEqual(95);
      // At real pace the mark echoes ~100 ms after its audio; 200 ms leaves room for a busy box, and a player at half
      // speed still fails.
      expect(echo1.at - t0).toBeLessThan(200);

      server.send({ event: 'media', streamSid, media: { payload: Buffer.alloc(1600, 0x22).toString('base64') } }); // 200 ms
      server.send({ event: 'mark', streamSid, mark: { name: 'm2' } });
      server.send({ event: 'mark', streamSid, mark: { name: 'm3' } });
      await sleep(50);
      const clearAt = performance.now();
      server.send({ event: 'clear', streamSid });
      const echo3 = await waitFor(() =>
        server.frames.find((f) => f.json?.event === 'mark' && f.json.mark.name === 'm3'),
      );
      // Played out, m3 would echo ~150 ms after the clear; flushed, it echoes at once. 100 ms leaves room for a busy box.
      expect(echo3.at - clearAt).toBeLessThan(100);
      const markEchoes = server.frames.filter((f) => f.json?.event === 'mark').map((f) => f.json!.mark.name);
      expect(markEchoes).toEqual(['m1', 'm2', 'm3']);

      const r = client.record;
      expect(r.received.marks.map((m) => [m.name, m.cleared])).toEqual([
        ['m1', false],
        ['m2', true],
        ['m3', true],
      ]);
      expect(r.received.clears).toHaveLength(1);
      expect(r.received.clears[0]!.flushedMarks).toEqual(['m2', 'm3']);
      expect(r.received.clears[0]!.droppedBytes).toBeGreaterThan(1000);
      expect(r.received.clears[0]!.droppedBytes).toBeLessThan(1300);
      expect(r.audio.received).toBe(2400);
      expect(client.agentAudio().byteLength).toBe(2400);
      expect(r.received.invalid).toEqual([expect.objectContaining({ reason: 'wrong streamSid "MZwrong"' })]);

      // DTMF goes out on a bidirectional stream; the echoed marks carry sequence numbers like every frame.
      const dtmf = server.frames.find((f) => f.json?.event === 'dtmf')!.json!;
      expect(dtmf).toMatchObject({ streamSid, dtmf: { track: 'inbound_track', digit: '7' } });
      expect(typeof dtmf.sequenceNumber).toBe('string');
      expect(server.media().every((m) => m.media.track === 'inbound')).toBe(true);

      // The server ends a bidirectional stream by closing the socket.
      (await server.connected).close(1000, 'done');
      await expect(client.closed).resolves.toMatchObject({ by: 'server', code: 1000 });
    } finally {
      await client.stop();
      await server.close();
    }
  });

  it('injects faults: malformed, duplicate, out-of-order and flood frames', async () => {
    const server = await streamServer();
    const client = new MediaStreamClient({
      url: server.url,
      accountSid: 'AC1',
      callSid: 'CA1',
      mode: 'fork',
      faults: {
        malformedAfterChunks: [2],
        duplicateEvery: 3,
        swapEvery: 5,
        flood: { afterChunk: 7, frames: 50 },
        oversizedAfterChunks: [8],
      },
    });
    try {
      await client.open();
      await sleep(230);
      await client.stop();
      expect(server.frames.some((f) => f.json === undefined && f.raw.startsWith('{"event":"media"'))).toBe(true);
      const seqs = server.media().map((m) => Number(m.sequenceNumber));
      const dupes = seqs.filter((s, i) => seqs.indexOf(s) !== i);
      expect(dupes.length).toBeGreaterThan(0);
      expect(seqs.some((s, i) => i > 0 && s < seqs[i - 1]!)).toBe(true);
      expect(server.media().length).toBeGreaterThan(50);
      expect(server.frames.some((f) => f.raw.length > 64 * 1024)).toBe(true);
      expect(client.record.sent.faults).toBeGreaterThanOrEqual(5);
    } finally {
      await server.close();
    }
  });
});

describe(FramePacer.name, () => {
  afterEach(() => jest.useRealTimers());

  it('schedules from an absolute start: a held-up tick is followed by catch-up, not drift', () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    const late: number[] = [];
    const pacer = new FramePacer(20, (_i, lateMs) => late.push(lateMs));
    pacer.start();
    jest.advanceTimersByTime(30);
    pacer.stall(100);
    jest.advanceTimersByTime(99);
    expect(late).toHaveLength(2);
    jest.advanceTimersByTime(1);
    // Ticks 2..6 were due at 40..120 ms and all run at 130 ms.
    expect(late).toEqual([0, 0, 90, 70, 50, 30, 10]);
    // Back on the k*20 grid afterwards: ticks 7..10 at 140..200 ms, on time.
    jest.advanceTimersByTime(70);
    expect(late).toEqual([0, 0, 90, 70, 50, 30, 10, 0, 0, 0, 0]);
    pacer.stop();
  });
});

async function waitFor<T>(fn: () => T | undefined, timeoutMs = 2000): Promise<T> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (performance.now() > until) throw new Error('timed out waiting');
    await sleep(5);
  }
}
