/**
 * The load generator (its own process): every simulated Twilio call, and the upstream echo agent the relay (or the
 * floor pipe) connects to. Both ends live here so a frame's send and upstream receive times come from one clock.
 *
 * One drift-free timer drives every call: call i sends its frame k at t0 + 20·k + 20·i/N (absolute schedule, calls
 * spread evenly over the 20 ms period); a late tick catches up, and the lateness is recorded as the generator's own
 * send lag (a validity check: a saturated generator shows up there, not as app latency).
 */
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import twilio from 'twilio';
import { monoMs, sleep } from './clock.js';
import { buildConversation, FRAME_MS } from './conversation.js';
import { Histogram, type SerializedHistogram } from './histogram.js';
import { failed, ready, serve } from './ipc.js';
import { ProcStats, type ProcWindow } from './proc-stats.js';

export interface PrepareArgs {
  readonly targetPort: number;
  readonly calls: number;
  /** 2: both tracks (a `<Start><Stream track="both_tracks">` fork); 1: inbound only (`<Connect><Stream>`). */
  readonly tracks: 1 | 2;
  /** The target forwards to the upstream agent here (relay, pipes): wait for it, count what it receives. */
  readonly upstream: boolean;
  /** The upstream agent echoes each inbound frame back as agent audio. */
  readonly echo: boolean;
  /** Frames per call and track the run may send (sizes the send-time arrays). */
  readonly maxFrames: number;
  /** Return every frame's send time (to join with the app-side probe). */
  readonly keepSendTimes: boolean;
  readonly accountSid: string;
  readonly authToken: string;
  /** The `wss://` URL the upgrade is signed over. */
  readonly signedUrl: string;
}

export interface LoadResult {
  readonly calls: number;
  readonly connected: number;
  readonly connectFailures: number;
  readonly connectMs: number;
  readonly sent: { inbound: number; outbound: number };
  readonly sentInWindow: number;
  readonly upstream: {
    inbound: number;
    outbound: number;
    duplicates: number;
    outOfOrder: number;
    unknownSocket: number;
    sockets: number;
  };
  /** Frames sent that the upstream never received (relay and pipe modes). */
  readonly lost: number;
  readonly callsWithLoss: number;
  readonly echoed: number;
  readonly client: { agentMedia: number; marksEchoed: number; clears: number; other: number; closedByServer: number };
  /**
   * Relay: each `clear` the app sent in the window, timed from the send of the caller's onset frame before it (the
   * first labelled speech frame of the turn): barge-in latency. Clears more than {@link BARGE_IN_MAX_MS} after the
   * last onset are counted apart, as clears without an onset.
   */
  readonly clearAfterOnset: SerializedHistogram;
  readonly clearsWithoutOnset: number;
  /** Send (here) → upstream receive (here), frames sent in the window, ms. */
  readonly latency: SerializedHistogram;
  /** How late the generator sent frames against the schedule, in the window, ms. */
  readonly sendLag: SerializedHistogram;
  readonly window: { start: number; end: number };
  readonly proc: ProcWindow | undefined;
  readonly sendTimes?: { inbound: Float64Array[]; outbound: Float64Array[] };
}

/** A clear later than this after the caller's last onset is not that onset's barge-in (ms). */
export const BARGE_IN_MAX_MS = 2000;

const CHUNK_KEY = Buffer.from('"chunk":"');
const TRACK_KEY = Buffer.from('"track":"');
const PAYLOAD_KEY = Buffer.from('"payload":"');
const QUOTE = 0x22;

/** `{"event":"me...` / `{"event":"ma...`: the serialisers we talk to put `event` first; anything else is parsed. */
function isMedia(b: Buffer): boolean {
  return b[10] === 0x6d && b[11] === 0x65 && b[9] === QUOTE && b[2] === 0x65;
}

function digitsAt(b: Buffer, from: number): number {
  let n = 0;
  for (let i = from; i < b.length; i++) {
    const c = b[i]!;
    if (c === QUOTE) return i > from ? n : -1;
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return -1;
}

class Call {
  ws: WebSocket | undefined;
  open = false;
  closed = false;
  seq = 0;
  /** Next frame index (0-based); chunk = frame + 1. */
  frame = 0;
  readonly sendIn: Float64Array;
  readonly sendOut: Float64Array | undefined;
  // Upstream side.
  recvIn = 0;
  recvOut = 0;
  lastIn = 0;
  lastOut = 0;
  dup = 0;
  ooo = 0;
  started = false;
  // Twilio side.
  agentMedia = 0;
  marks = 0;
  clears = 0;
  other = 0;

  constructor(
    readonly index: number,
    readonly callSid: string,
    readonly streamSid: string,
    /** Where in the conversation cycle this call starts. */
    readonly offset: number,
    maxFrames: number,
    tracks: 1 | 2,
  ) {
    this.sendIn = new Float64Array(maxFrames).fill(Number.NaN);
    this.sendOut = tracks === 2 ? new Float64Array(maxFrames).fill(Number.NaN) : undefined;
  }
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

const conversation = buildConversation();
const stats = new ProcStats();
let echo = false;
let calls: Call[] = [];
let args: PrepareArgs | undefined;
let upstreamSockets = 0;
let upstreamOpen = 0;
let unknownSocket = 0;
let echoed = 0;
let closedByServer = 0;
const latency = new Histogram();
const sendLag = new Histogram();
const clearAfterOnset = new Histogram();
let clearsWithoutOnset = 0;
let winStart = Number.POSITIVE_INFINITY;
let winEnd = Number.POSITIVE_INFINITY;
let procWindow: ProcWindow | undefined;
let running = false;
let timer: NodeJS.Timeout | undefined;
let connectInfo = { connected: 0, failures: 0, ms: 0 };

// ---- Upstream echo agent -------------------------------------------------------------------------------------

const agentServer = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: false,
  maxPayload: 1024 * 1024,
});

agentServer.on('connection', (ws) => {
  upstreamSockets++;
  upstreamOpen++;
  let call: Call | undefined;
  let sid = '';
  const onMedia = (track: 'inbound' | 'outbound', chunk: number, t: number, payload: () => string) => {
    if (!call) {
      unknownSocket++;
      return;
    }
    const sends = track === 'inbound' ? call.sendIn : call.sendOut;
    if (track === 'inbound') {
      call.recvIn++;
      if (chunk === call.lastIn) call.dup++;
      else if (chunk < call.lastIn) call.ooo++;
      else call.lastIn = chunk;
    } else {
      call.recvOut++;
      if (chunk === call.lastOut) call.dup++;
      else if (chunk < call.lastOut) call.ooo++;
      else call.lastOut = chunk;
    }
    const sentAt = sends?.[chunk - 1];
    if (sentAt !== undefined && sentAt >= winStart && sentAt < winEnd) latency.recordMs(t - sentAt);
    if (echo && track === 'inbound' && ws.readyState === WebSocket.OPEN) {
      ws.send(`{"event":"media","streamSid":"${sid}","media":{"payload":"${payload()}"}}`);
      echoed++;
    }
  };
  ws.on('message', (data: Buffer) => {
    const t = monoMs();
    if (isMedia(data)) {
      const c = data.indexOf(CHUNK_KEY);
      const k = data.indexOf(TRACK_KEY);
      const chunk = c < 0 ? -1 : digitsAt(data, c + CHUNK_KEY.length);
      if (chunk > 0 && k > 0) {
        const track = data[k + TRACK_KEY.length] === 0x6f ? 'outbound' : 'inbound';
        onMedia(track, chunk, t, () => {
          const p = data.indexOf(PAYLOAD_KEY) + PAYLOAD_KEY.length;
          return data.toString('latin1', p, data.indexOf(QUOTE, p));
        });
        return;
      }
    }
    let f: {
      event?: string;
      streamSid?: string;
      start?: { customParameters?: Record<string, string> };
      media?: { track?: string; chunk?: string; payload?: string };
    };
    try {
      f = JSON.parse(data.toString('utf8'));
    } catch {
      return;
    }
    switch (f.event) {
      case 'start': {
        const id = Number(f.start?.customParameters?.callId);
        call = calls[id];
        sid = f.streamSid ?? '';
        if (call) call.started = true;
        return;
      }
      case 'media':
        onMedia(
          f.media?.track === 'outbound' ? 'outbound' : 'inbound',
          Number(f.media?.chunk),
          t,
          () => f.media?.payload ?? '',
        );
        return;
      default:
        return; // connected, mark, clear, stop
    }
  });
  ws.on('close', () => upstreamOpen--);
  ws.on('error', () => undefined);
});

// ---- Simulated Twilio calls --------------------------------------------------------------------------------------

function connect(call: Call, a: PrepareArgs, signature: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${a.targetPort}/twilio/media`, {
      headers: { 'x-twilio-signature': signature },
      perMessageDeflate: false,
      maxPayload: 1024 * 1024,
    });
    call.ws = ws;
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      resolve(ok);
    };
    ws.on('open', () => {
      call.open = true;
      ws.send('{"event":"connected","protocol":"Call","version":"1.0.0"}');
      const tracks = a.tracks === 2 ? '["inbound","outbound"]' : '["inbound"]';
      ws.send(
        `{"event":"start","sequenceNumber":"${++call.seq}","start":{"accountSid":"${a.accountSid}","streamSid":"${call.streamSid}",` +
          `"callSid":"${call.callSid}","tracks":${tracks},"customParameters":{"callId":"${call.index}","bench":"callbridge"},` +
          `"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}},"streamSid":"${call.streamSid}"}`,
      );
      done(true);
    });
    ws.on('message', (data: RawData) => onServerFrame(call, data as Buffer));
    ws.on('close', () => {
      if (call.open && !call.closed && running) closedByServer++;
      call.open = false;
      call.closed = true;
      done(false);
    });
    ws.on('error', () => done(false));
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      done(false);
    });
  });
}

/** What the app sends Twilio: agent media (counted), marks (echoed at once, as Twilio does after playback), clear. */
function onServerFrame(call: Call, data: Buffer): void {
  if (isMedia(data)) {
    call.agentMedia++;
    return;
  }
  let f: { event?: string; mark?: { name?: string } };
  try {
    f = JSON.parse(data.toString('utf8'));
  } catch {
    call.other++;
    return;
  }
  if (f.event === 'mark' && typeof f.mark?.name === 'string') {
    call.marks++;
    call.ws!.send(
      `{"event":"mark","sequenceNumber":"${++call.seq}","streamSid":"${call.streamSid}","mark":{"name":${JSON.stringify(f.mark.name)}}}`,
    );
  } else if (f.event === 'clear') {
    call.clears++;
    timeClear(call, monoMs());
  } else if (f.event === 'media') call.agentMedia++;
  else call.other++;
}

/** Times a clear from the send of the caller's latest onset frame (the conversation's `callerOnset`), in the window. */
function timeClear(call: Call, t: number): void {
  if (t < winStart || t >= winEnd) return;
  const last = call.frame - 1;
  const n = conversation.frames;
  // The latest frame k <= last whose place in the cycle, (offset + k) mod n, is the onset.
  const k = last - ((((last + call.offset - conversation.callerOnset) % n) + n) % n);
  const sentAt = k >= 0 ? call.sendIn[k]! : Number.NaN;
  if (Number.isFinite(sentAt) && t - sentAt <= BARGE_IN_MAX_MS) clearAfterOnset.recordMs(t - sentAt);
  else clearsWithoutOnset++;
}

function sendFrames(call: Call, lagMs: number): void {
  const ws = call.ws;
  if (!call.open || !ws) return;
  const k = call.frame;
  if (k >= call.sendIn.length) return;
  call.frame = k + 1;
  const p = (call.offset + k) % conversation.frames;
  const ts = k * FRAME_MS;
  let t = monoMs();
  if (t >= winStart && t < winEnd) sendLag.recordMs(lagMs);
  call.sendIn[k] = t;
  ws.send(
    `{"event":"media","sequenceNumber":"${++call.seq}","media":{"track":"inbound","chunk":"${k + 1}","timestamp":"${ts}","payload":"${conversation.inbound[p]}"},"streamSid":"${call.streamSid}"}`,
  );
  if (call.sendOut) {
    t = monoMs();
    call.sendOut[k] = t;
    ws.send(
      `{"event":"media","sequenceNumber":"${++call.seq}","media":{"track":"outbound","chunk":"${k + 1}","timestamp":"${ts}","payload":"${conversation.outbound[p]}"},"streamSid":"${call.streamSid}"}`,
    );
  }
}

function startSchedule(): void {
  const n = calls.length;
  const phase = calls.map((_, i) => (i * FRAME_MS) / n);
  const t0 = monoMs() + FRAME_MS;
  let cursor = 0;
  let period = 0;
  running = true;
  const tick = () => {
    if (!running) return;
    const now = monoMs();
    let due = t0 + period * FRAME_MS + phase[cursor]!;
    while (due <= now) {
      sendFrames(calls[cursor]!, now - due);
      if (++cursor === n) {
        cursor = 0;
        period++;
      }
      due = t0 + period * FRAME_MS + phase[cursor]!;
    }
    timer = setTimeout(tick, Math.max(0, due - monoMs()));
  };
  timer = setTimeout(tick, FRAME_MS);
}

async function prepare(a: PrepareArgs): Promise<{ connected: number; failures: number; ms: number }> {
  args = a;
  echo = a.echo;
  const period = conversation.frames;
  calls = Array.from(
    { length: a.calls },
    (_, i) =>
      new Call(
        i,
        'CA' + hex(i, 32),
        'MZ' + hex(0xbe0000 + i, 32),
        Math.floor((i * period) / a.calls) % period,
        a.maxFrames,
        a.tracks,
      ),
  );
  const signature = twilio.getExpectedTwilioSignature(a.authToken, a.signedUrl, {});
  const started = performance.now();
  let next = 0;
  let connected = 0;
  let failures = 0;
  // A few dozen upgrades in flight at a time, as a busy number would see them.
  await Promise.all(
    Array.from({ length: Math.min(32, a.calls) }, async () => {
      while (next < calls.length) {
        const call = calls[next++]!;
        if (await connect(call, a, signature)) connected++;
        else failures++;
      }
    }),
  );
  // Relay and pipe: wait until every call's upstream socket has seen its `start`, so no frame waits for a connect.
  if (a.upstream) {
    const deadline = performance.now() + 15_000;
    while (calls.some((c) => c.open && !c.started) && performance.now() < deadline) await sleep(20);
  }
  connectInfo = { connected, failures, ms: performance.now() - started };
  return connectInfo;
}

async function stop(): Promise<LoadResult> {
  running = false;
  clearTimeout(timer);
  if (!Number.isFinite(winEnd)) winEnd = monoMs();
  await sleep(200); // let the last frames arrive before the stop frames
  for (const call of calls) {
    const ws = call.ws;
    if (!ws || !call.open) continue;
    ws.send(
      `{"event":"stop","sequenceNumber":"${++call.seq}","streamSid":"${call.streamSid}","stop":{"accountSid":"${args!.accountSid}","callSid":"${call.callSid}"}}`,
    );
    ws.close(1000, 'call ended');
  }
  const deadline = performance.now() + 10_000;
  while ((calls.some((c) => c.open) || upstreamOpen > 0) && performance.now() < deadline) await sleep(20);
  for (const call of calls) if (call.open) call.ws?.terminate();

  let sentIn = 0;
  let sentOut = 0;
  let sentInWindow = 0;
  let lost = 0;
  let callsWithLoss = 0;
  const sum = { recvIn: 0, recvOut: 0, dup: 0, ooo: 0, agentMedia: 0, marks: 0, clears: 0, other: 0 };
  for (const c of calls) {
    sentIn += c.frame;
    if (c.sendOut) sentOut += c.frame;
    for (let k = 0; k < c.frame; k++) {
      const s = c.sendIn[k]!;
      if (s >= winStart && s < winEnd) sentInWindow += c.sendOut ? 2 : 1;
    }
    sum.recvIn += c.recvIn;
    sum.recvOut += c.recvOut;
    sum.dup += c.dup;
    sum.ooo += c.ooo;
    sum.agentMedia += c.agentMedia;
    sum.marks += c.marks;
    sum.clears += c.clears;
    sum.other += c.other;
    if (args!.upstream) {
      const missing = Math.max(0, c.frame - c.recvIn) + (c.sendOut ? Math.max(0, c.frame - c.recvOut) : 0);
      lost += missing;
      if (missing) callsWithLoss++;
    }
  }
  return {
    calls: calls.length,
    connected: connectInfo.connected,
    connectFailures: connectInfo.failures,
    connectMs: connectInfo.ms,
    sent: { inbound: sentIn, outbound: sentOut },
    sentInWindow,
    upstream: {
      inbound: sum.recvIn,
      outbound: sum.recvOut,
      duplicates: sum.dup,
      outOfOrder: sum.ooo,
      unknownSocket,
      sockets: upstreamSockets,
    },
    lost,
    callsWithLoss,
    echoed,
    client: {
      agentMedia: sum.agentMedia,
      marksEchoed: sum.marks,
      clears: sum.clears,
      other: sum.other,
      closedByServer,
    },
    clearAfterOnset: clearAfterOnset.toJSON(),
    clearsWithoutOnset,
    latency: latency.toJSON(),
    sendLag: sendLag.toJSON(),
    window: { start: winStart, end: winEnd },
    proc: procWindow,
    sendTimes: args!.keepSendTimes
      ? {
          inbound: calls.map((c) => c.sendIn.slice(0, c.frame)),
          outbound: calls.map((c) => (c.sendOut ? c.sendOut.slice(0, c.frame) : new Float64Array(0))),
        }
      : undefined,
  };
}

try {
  await new Promise<void>((resolve, reject) => {
    agentServer.once('listening', resolve);
    agentServer.once('error', reject);
  });
  serve({
    prepare,
    start: () => {
      startSchedule();
      return true;
    },
    /** Measurement window start: from here latency, send lag and the generator's CPU count. */
    mark: () => {
      stats.mark();
      winStart = monoMs();
      return winStart;
    },
    /** Measurement window end: frames sent after this are not counted (those in flight still are, on arrival). */
    read: () => {
      winEnd = monoMs();
      procWindow = stats.read();
      return procWindow;
    },
    stop,
    exit: () => setImmediate(() => process.exit(0)),
  });
  const address = agentServer.address();
  ready({
    agentPort: typeof address === 'object' && address ? address.port : 0,
    conversation: { frames: conversation.frames, speech: conversation.speech, description: conversation.description },
  });
} catch (err) {
  failed(err);
}
