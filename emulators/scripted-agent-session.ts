/**
 * The `scripted` agent's turn-taking on one connection: detect the end of the caller's turn (energy or fixed times),
 * answer with a clip in bursts far faster than real time followed by a mark, and optionally `clear` on barge-in.
 */
import { WebSocket } from 'ws';
import type { TwilioOutboundFrame } from '../src/protocol/twilio-media.js';
import type { AgentConnection, AgentResponse } from './agent-stream.types.js';
import {
  FRAME_BYTES,
  frameDbfs,
  loadClip,
  MULAW_BYTES_PER_MS,
  readStamp,
  STAMP_BYTES,
  type ClipSource,
} from './mulaw-audio.js';
import type { TimelineEventBody } from './timeline.js';

/** When the caller's turn is over. */
export type TurnDetection =
  | {
      readonly kind: 'energy';
      /** A frame louder than this is speech. Default −40 dBFS. */
      readonly thresholdDbfs?: number;
      /** Speech needed before a turn counts. Default 120 ms. */
      readonly minSpeechMs?: number;
      /** Silence that ends the turn. Default 600 ms. */
      readonly silenceMs?: number;
    }
  | {
      readonly kind: 'fixed';
      /** Respond when the inbound audio reaches these times (ms of stream audio). */
      readonly atMs: readonly number[];
    };

/** Options of the `scripted` mode. */
export interface ScriptedAgentOptions {
  /** One response per caller turn, in order; no more responses after the last. */
  readonly responses: readonly ClipSource[];
  /** Said right after `start`, before any turn. */
  readonly greeting?: ClipSource;
  /** Default energy detection. */
  readonly turnDetection?: TurnDetection;
  /** Audio per burst. Default 1000 ms. */
  readonly burstMs?: number;
  /** Time between bursts. Default 150 ms. */
  readonly burstIntervalMs?: number;
  /** Bytes per `media` message. Default 160. */
  readonly frameBytes?: number;
  /** Think time between the end of the turn and the first burst. Default 0. */
  readonly responseDelayMs?: number;
  /** Send `clear` when the caller speaks while a response is playing (barge-in). Default false. */
  readonly clearOnBargeIn?: boolean;
  /**
   * Keep sending a response when the relay sends `clear`, as an agent that does not take that frame does (a hosted
   * agent reacts only when its own VAD hears the caller, 300–500 ms later). Default false.
   */
  readonly ignoreClear?: boolean;
}

/** What a session needs from the emulator that owns it: timers it can clean up, and the timeline. */
export interface SessionHost {
  later(ms: number, fn: () => void): NodeJS.Timeout;
  cancel(t: NodeJS.Timeout | undefined): void;
  note(body: TimelineEventBody): void;
}

/** Sends a server → Twilio frame and counts it. */
export function sendAgentFrame(ws: WebSocket, c: AgentConnection, frame: TwilioOutboundFrame): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  ws.send(JSON.stringify(frame));
  if (frame.event === 'media') {
    c.sent.media++;
    c.sent.bytes += Buffer.byteLength(frame.media.payload, 'base64');
  } else if (frame.event === 'mark') c.sent.marks.push(frame.mark.name);
  else c.sent.clears++;
}

/** Turn-taking for one connection in `scripted` mode. */
export class ScriptedSession {
  private next = 0;
  private audioMs = 0;
  private speechMs = 0;
  private silenceMs = 0;
  private inTurn = false;
  private responding: { response: AgentResponse; timers: NodeJS.Timeout[] } | undefined;
  private fixedIndex = 0;

  constructor(
    private readonly o: ScriptedAgentOptions,
    private readonly ws: WebSocket,
    private readonly c: AgentConnection,
    private readonly owner: SessionHost,
  ) {}

  onStart(): void {
    if (this.o.greeting !== undefined) this.respond(this.o.greeting, 'greeting');
  }

  onMedia(bytes: Buffer): void {
    const frameMs = bytes.byteLength / MULAW_BYTES_PER_MS;
    this.audioMs += frameMs;
    const td = this.o.turnDetection ?? { kind: 'energy' };
    if (td.kind === 'fixed') {
      if (this.fixedIndex < td.atMs.length && this.audioMs >= td.atMs[this.fixedIndex]!) {
        this.fixedIndex++;
        this.turnEnded();
      }
      return;
    }
    // A benchmark stamp is a loud click at the head of every frame: it must not count as speech.
    const audio = readStamp(bytes) === undefined ? bytes : bytes.subarray(STAMP_BYTES);
    const speech = frameDbfs(audio) > (td.thresholdDbfs ?? -40);
    if (speech) {
      this.speechMs += frameMs;
      this.silenceMs = 0;
      if (this.speechMs >= (td.minSpeechMs ?? 120)) {
        if (!this.inTurn) this.inTurn = true;
        if (this.responding && this.o.clearOnBargeIn) this.bargeIn();
      }
    } else if (this.inTurn) {
      this.silenceMs += frameMs;
      if (this.silenceMs >= (td.silenceMs ?? 600)) {
        this.inTurn = false;
        this.speechMs = 0;
        this.silenceMs = 0;
        this.turnEnded();
      }
    } else {
      this.speechMs = 0;
    }
  }

  onMarkEcho(name: string, t: number): void {
    if (this.responding?.response.markName === name) {
      this.responding.response.markEchoedAt = t;
      this.responding = undefined;
    } else {
      const r = this.c.responses.find((x) => x.markName === name);
      if (r) r.markEchoedAt ??= t;
    }
  }

  onClear(): void {
    if (!this.o.ignoreClear) this.stopResponding();
  }

  dispose(): void {
    this.stopResponding();
  }

  private turnEnded(): void {
    if (this.next >= this.o.responses.length) return;
    const clip = this.o.responses[this.next++]!;
    const delay = this.o.responseDelayMs ?? 0;
    if (delay > 0) this.owner.later(delay, () => this.respond(clip, `response-${this.next}`));
    else this.respond(clip, `response-${this.next}`);
  }

  /** Sends `clip` in bursts of `burstMs` audio every `burstIntervalMs`, then a mark. */
  private respond(clip: ClipSource, markName: string): void {
    const streamSid = this.c.streamSid;
    if (!streamSid) return;
    this.stopResponding();
    const bytes = loadClip(clip);
    const frameBytes = this.o.frameBytes ?? FRAME_BYTES;
    const burstBytes = Math.max(frameBytes, Math.round((this.o.burstMs ?? 1000) * MULAW_BYTES_PER_MS));
    const interval = this.o.burstIntervalMs ?? 150;
    const response: AgentResponse = {
      index: this.c.responses.length,
      turnEndAt: performance.now() - this.c.openedPerf,
      bytes: bytes.byteLength,
      markName,
    };
    this.c.responses.push(response);
    const timers: NodeJS.Timeout[] = [];
    this.responding = { response, timers };
    const bursts = Math.max(1, Math.ceil(bytes.byteLength / burstBytes));
    for (let b = 0; b < bursts; b++) {
      const send = () => {
        const from = b * burstBytes;
        const to = Math.min(bytes.byteLength, from + burstBytes);
        for (let o = from; o < to; o += frameBytes) {
          const payload = Buffer.from(bytes.subarray(o, Math.min(to, o + frameBytes))).toString('base64');
          sendAgentFrame(this.ws, this.c, { event: 'media', streamSid, media: { payload } });
        }
        const t = performance.now() - this.c.openedPerf;
        response.firstMediaAt ??= t;
        response.lastMediaAt = t;
        if (b === bursts - 1) {
          sendAgentFrame(this.ws, this.c, { event: 'mark', streamSid, mark: { name: markName } });
          this.owner.note({
            kind: 'media',
            phase: 'mark',
            streamSid,
            detail: `${markName} after ${bytes.byteLength} bytes`,
          });
        }
      };
      if (b === 0) send();
      else timers.push(this.owner.later(b * interval, send));
    }
  }

  private bargeIn(): void {
    const r = this.responding;
    if (!r || !this.c.streamSid) return;
    r.response.bargedIn = true;
    this.stopResponding();
    sendAgentFrame(this.ws, this.c, { event: 'clear', streamSid: this.c.streamSid });
    this.owner.note({
      kind: 'media',
      phase: 'clear',
      streamSid: this.c.streamSid,
      detail: `barge-in on ${r.response.markName}`,
    });
  }

  private stopResponding(): void {
    if (!this.responding) return;
    for (const t of this.responding.timers) this.owner.cancel(t);
    this.responding = undefined;
  }
}
