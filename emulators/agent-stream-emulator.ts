/**
 * A raw-audio voice agent for the app's relay mode: a WebSocket server that speaks the Twilio Media Streams protocol
 * from the server side. It receives `connected`/`start`/`media`/`mark`/`stop` as any Media Streams server would, and
 * answers with `media`/`mark`/`clear`.
 *
 * - `echo` sends every inbound frame's audio straight back, and records when each frame arrived, keyed by sequence
 *   number, chunk and frame stamp, for latency benchmarks.
 * - `scripted` waits for the caller's turn to end (energy, or fixed times), then "responds" with a clip sent far
 *   faster than real time in bursts, as hosted agents do, followed by a `mark`.
 *
 * It can refuse connections, be killed mid-call (every socket torn down) or stop listening, for the
 * "upstream dies → fallback" tests.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer, type RawData } from 'ws';
import { parseTwilioFrame } from '../src/protocol/twilio-media.js';
import type { AgentConnection } from './agent-stream.types.js';
import { closeServer, listen } from './emulator-http.js';
import { readStamp } from './mulaw-audio.js';
import {
  ScriptedSession,
  sendAgentFrame,
  type ScriptedAgentOptions,
  type SessionHost,
} from './scripted-agent-session.js';
import type { TimelineEvent, TimelineEventBody } from './timeline.js';
import { OwnedTimers } from './owned-timers.js';

export type * from './agent-stream.types.js';
export type { ScriptedAgentOptions, TurnDetection } from './scripted-agent-session.js';

/** Options of {@link AgentStreamEmulator}. */
export interface AgentStreamEmulatorOptions {
  readonly mode: 'echo' | 'scripted';
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0. */
  readonly port?: number;
  /** Echo: wait this long before sending each frame back. Default 0. */
  readonly echoDelayMs?: number;
  /** Required for `scripted`. */
  readonly scripted?: ScriptedAgentOptions;
}

/** Events of {@link AgentStreamEmulator}. */
export interface AgentStreamEmulatorEvents {
  connection: [AgentConnection];
  timeline: [TimelineEvent];
}

/** The upstream raw-audio agent, emulated. */
export class AgentStreamEmulator extends EventEmitter<AgentStreamEmulatorEvents> implements SessionHost {
  /** Every connection, in order. */
  readonly connections: AgentConnection[] = [];

  private readonly server: Server;
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 16 * 1024 * 1024,
  });
  private readonly sockets = new Map<WebSocket, AgentConnection>();
  private readonly timers = new OwnedTimers();
  private port: number;
  private refuseStatus: number | undefined;
  private listening = false;

  constructor(private readonly options: AgentStreamEmulatorOptions) {
    super();
    if (options.mode === 'scripted' && !options.scripted)
      throw new Error('AgentStreamEmulator: scripted mode needs `scripted` options');
    this.port = options.port ?? 0;
    this.server = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' });
      res.end('WebSocket only');
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.onUpgrade(req, socket, head),
    );
  }

  /** `ws://host:port` once started; any path is accepted. */
  get url(): string {
    return `ws://${this.options.host ?? '127.0.0.1'}:${this.port}`;
  }

  async start(): Promise<string> {
    this.port = await listen(this.server, this.options.host ?? '127.0.0.1', this.port);
    this.listening = true;
    return this.url;
  }

  /** Tears down every socket, timer and the server. */
  async close(): Promise<void> {
    this.kill();
    this.timers.clear();
    await new Promise<void>((r) => this.wss.close(() => r()));
    this.listening = false;
    await closeServer(this.server);
  }

  /** Kills every live connection without a close handshake (the agent process died). */
  kill(): void {
    for (const [ws, c] of this.sockets) {
      c.closed ??= { code: 1006, reason: 'killed', by: 'killed', t: performance.now() - c.openedPerf };
      ws.terminate();
    }
  }

  /** Kills every connection and stops listening: reconnects are refused until {@link resume}. */
  async die(): Promise<void> {
    this.kill();
    if (this.listening) {
      this.listening = false;
      await closeServer(this.server);
    }
  }

  /** Listens again on the same port after {@link die}. */
  async resume(): Promise<void> {
    if (this.listening) return;
    await listen(this.server, this.options.host ?? '127.0.0.1', this.port);
    this.listening = true;
  }

  /** Answers upgrades with this HTTP status instead of accepting them, until {@link accept}. */
  refuse(status = 503): void {
    this.refuseStatus = status;
  }

  /** Accepts connections again after {@link refuse}. */
  accept(): void {
    this.refuseStatus = undefined;
  }

  /** Resolves with the next connection (or the first one, if one exists and `existing`). */
  nextConnection(timeoutMs = 5000, existing = false): Promise<AgentConnection> {
    if (existing && this.connections.length) return Promise.resolve(this.connections[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('connection', on);
        reject(new Error(`no agent connection within ${timeoutMs} ms`));
      }, timeoutMs);
      const on = (c: AgentConnection) => {
        clearTimeout(timer);
        this.off('connection', on);
        resolve(c);
      };
      this.on('connection', on);
    });
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.refuseStatus !== undefined) {
      socket.end(`HTTP/1.1 ${this.refuseStatus} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const c: AgentConnection = {
      id: this.connections.length + 1,
      path: req.url ?? '/',
      headers: req.headers,
      openedAt: Date.now(),
      openedPerf: performance.now(),
      connected: false,
      stopReceived: false,
      counts: {},
      media: [],
      marksReceived: [],
      clearsReceived: [],
      dtmf: [],
      invalid: [],
      sent: { media: 0, bytes: 0, marks: [], clears: 0 },
      responses: [],
    };
    this.connections.push(c);
    this.sockets.set(ws, c);
    const session =
      this.options.mode === 'scripted' ? new ScriptedSession(this.options.scripted!, ws, c, this) : undefined;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const t = performance.now() - c.openedPerf;
      if (isBinary) {
        c.invalid.push({ reason: 'binary', t });
        return;
      }
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8');
      const parsed = parseTwilioFrame(text);
      if (!parsed.ok) {
        // A relay may forward a barge-in upstream as `clear`: not a Twilio → server frame, but worth recording.
        const event = eventName(text);
        if (event === 'clear') {
          c.counts.clear = (c.counts.clear ?? 0) + 1;
          c.clearsReceived.push({ t });
          session?.onClear();
        } else c.invalid.push({ reason: `${parsed.reason}: ${parsed.detail}`, t });
        return;
      }
      const f = parsed.frame;
      c.counts[f.event] = (c.counts[f.event] ?? 0) + 1;
      switch (f.event) {
        case 'connected':
          c.connected = true;
          break;
        case 'start':
          c.start = f.start;
          c.streamSid = f.streamSid;
          session?.onStart();
          break;
        case 'media': {
          const bytes = Buffer.from(f.media.payload, 'base64');
          c.media.push({
            sequenceNumber: f.sequenceNumber,
            chunk: f.media.chunk,
            timestamp: f.media.timestamp,
            track: f.media.track,
            stamp: readStamp(bytes),
            perf: performance.now(),
            bytes: bytes.byteLength,
          });
          if (this.options.mode === 'echo' && f.media.track === 'inbound') this.echo(ws, c, f.media.payload);
          session?.onMedia(bytes);
          break;
        }
        case 'mark':
          c.marksReceived.push({ name: f.mark.name, t });
          session?.onMarkEcho(f.mark.name, t);
          break;
        case 'dtmf':
          c.dtmf.push({ digit: f.dtmf.digit, t });
          break;
        case 'stop':
          c.stopReceived = true;
          break;
      }
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.sockets.delete(ws);
      session?.dispose();
      c.closed ??= { code, reason: reason.toString(), by: 'relay', t: performance.now() - c.openedPerf };
      this.note({
        kind: 'stream',
        phase: 'closed',
        url: c.path,
        mode: 'bidirectional',
        streamSid: c.streamSid,
        detail: `${c.closed.code} by ${c.closed.by}`,
      });
    });
    ws.on('error', () => undefined);
    this.note({
      kind: 'stream',
      phase: 'opened',
      url: c.path,
      mode: 'bidirectional',
      detail: `agent connection #${c.id}`,
    });
    this.emit('connection', c);
  }

  /** Reports an event on the `timeline` channel (sessions use it too). */
  note(body: TimelineEventBody): void {
    this.emit('timeline', { ...body, source: 'agent', at: Date.now() } as TimelineEvent);
  }

  private echo(ws: WebSocket, c: AgentConnection, payload: string): void {
    const send = () => {
      if (!c.streamSid) return;
      sendAgentFrame(ws, c, { event: 'media', streamSid: c.streamSid, media: { payload } });
    };
    const delay = this.options.echoDelayMs ?? 0;
    if (delay <= 0) send();
    else this.later(delay, send);
  }

  /** A timer the emulator owns and clears on close (sessions schedule their bursts with it). */
  later(ms: number, fn: () => void): NodeJS.Timeout {
    return this.timers.later(ms, fn);
  }

  /** Cancels a timer from {@link later}. */
  cancel(t: NodeJS.Timeout | undefined): void {
    this.timers.cancel(t);
  }
}

function eventName(text: string): string | undefined {
  try {
    const j = JSON.parse(text) as unknown;
    return typeof j === 'object' && j !== null && 'event' in j ? String((j as { event: unknown }).event) : undefined;
  } catch {
    return undefined;
  }
}
