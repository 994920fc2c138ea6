/**
 * Twilio's side of one Media Streams WebSocket: what Twilio does when it executes `<Start><Stream>` (a one-way fork)
 * or `<Connect><Stream>` (bidirectional). It signs the upgrade, sends `connected` and `start`, then real-time paced
 * `media` frames (20 ms, 160 mu-law bytes, numbered as Twilio numbers them), `dtmf` on bidirectional streams, and
 * `stop`. On a bidirectional stream it also plays what the server sends: audio is queued and "plays" at 8 bytes/ms,
 * a `mark` is echoed once the audio queued before it has played, and `clear` drops the queue and echoes every
 * pending mark at once.
 */
import { WebSocket, type RawData } from 'ws';
import { MAX_TWILIO_FRAME_BYTES, type MediaTrack, type TwilioInboundFrame } from '../src/protocol/twilio-media.js';
import { FramePacer } from './frame-pacer.js';
import { FRAME_BYTES, FRAME_MS, readPayloadStamp, stampFrame, TrackAudio } from './mulaw-audio.js';
import type {
  MediaStreamRecord,
  ReceivedMark,
  ScriptedDtmf,
  StreamClose,
  StreamFaults,
  StreamMode,
  StreamTrackSetting,
} from './media-stream.types.js';
import { PlayoutQueue } from './playout-queue.js';
import { twilioSid } from './sids.js';
import type { TimelineEventBody } from './timeline.js';
import { readServerFrame, serializeTwilioFrame } from './twilio-media-wire.js';
import type { SignatureMode, TwilioWebhookSigner } from './twilio-webhook-signer.js';

export type * from './media-stream.types.js';

/** Options of {@link MediaStreamClient}. */
export interface MediaStreamClientOptions {
  /** Where to connect (the app's real address). */
  readonly url: string;
  /** The URL as written in the TwiML: what the signature covers. Default `url`. */
  readonly signedUrl?: string;
  /** Signs the upgrade (`x-twilio-signature` over `signedUrl` with `{}` params). Without it: unsigned. */
  readonly signer?: TwilioWebhookSigner;
  readonly signatureMode?: SignatureMode;
  readonly accountSid: string;
  readonly callSid: string;
  /** Default: a fresh `MZ` SID. */
  readonly streamSid?: string;
  readonly mode: StreamMode;
  /** Fork only; a bidirectional stream always carries the inbound track. Default `inbound_track`. */
  readonly track?: StreamTrackSetting;
  readonly customParameters?: Readonly<Record<string, string>>;
  /** The caller's audio (`inbound`) and, on a fork, what the caller hears (`outbound`). Default silence. */
  readonly audio?: { readonly inbound?: TrackAudio; readonly outbound?: TrackAudio };
  readonly dtmf?: readonly ScriptedDtmf[];
  /** Write the chunk number into the first bytes of every inbound frame (see `stampFrame`), for latency benchmarks. */
  readonly stampFrames?: boolean;
  /** Keep a per-frame log of what was sent (default true). */
  readonly recordFrames?: boolean;
  readonly faults?: StreamFaults;
  /** Default 10 000. */
  readonly connectTimeoutMs?: number;
  /** Stream and media events for the call's timeline. */
  readonly onEvent?: (event: TimelineEventBody) => void;
  /** Also report every mark and mark echo (noisy: relays mark every chunk). Default false; `record` has them all. */
  readonly timelineMarks?: boolean;
}

/** Twilio's end of one media stream. Create, `open()`, and `stop()` when the call ends (or await `closed`). */
export class MediaStreamClient {
  readonly streamSid: string;
  readonly record: MediaStreamRecord;
  /** Resolves once the socket is gone (never rejects). */
  readonly closed: Promise<StreamClose>;

  private ws: WebSocket | undefined;
  private readonly pacer: FramePacer;
  private seq = 0;
  private readonly chunks: Record<MediaTrack, number> = { inbound: 0, outbound: 0 };
  private readonly audio: { inbound: TrackAudio; outbound: TrackAudio };
  private readonly pendingDtmf: ScriptedDtmf[];
  private t0 = 0;
  private resolveClosed!: (c: StreamClose) => void;
  private stopping = false;
  private finished = false;
  private held: string[] | undefined;
  private abortTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private readonly playout = new PlayoutQueue((mark) => this.echoMark(mark));
  private readonly agentChunks: Buffer[] = [];

  constructor(private readonly options: MediaStreamClientOptions) {
    this.streamSid = options.streamSid ?? twilioSid('MZ');
    const tracks: MediaTrack[] =
      options.mode === 'bidirectional' || (options.track ?? 'inbound_track') === 'inbound_track'
        ? ['inbound']
        : options.track === 'outbound_track'
          ? ['outbound']
          : ['inbound', 'outbound'];
    this.record = {
      streamSid: this.streamSid,
      url: options.signedUrl ?? options.url,
      mode: options.mode,
      tracks,
      customParameters: { ...options.customParameters },
      sent: { frames: 0, media: { inbound: 0, outbound: 0 }, dtmf: 0, markEchoes: 0, faults: 0, stop: false },
      sentMedia: [],
      received: { media: [], marks: [], clears: [], invalid: [] },
      audio: { received: 0, dropped: 0 },
    };
    this.audio = {
      inbound: options.audio?.inbound ?? new TrackAudio(),
      outbound: options.audio?.outbound ?? new TrackAudio(),
    };
    this.pendingDtmf = [...(options.mode === 'bidirectional' ? (options.dtmf ?? []) : [])].sort(
      (a, b) => a.atMs - b.atMs,
    );
    this.pacer = new FramePacer(FRAME_MS, (i) => this.tick(i));
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** ms since `start`. */
  private now(): number {
    return this.t0 ? performance.now() - this.t0 : 0;
  }

  /** `performance.now()` of `start` (0 before): add a record's `t` to compare with other clocks in the process. */
  get startPerf(): number {
    return this.t0;
  }

  /** All agent audio received so far (bidirectional), concatenated. */
  agentAudio(): Buffer {
    return Buffer.concat(this.agentChunks);
  }

  /** Agent audio not yet played out (bytes). */
  get queuedBytes(): number {
    return this.playout.queuedBytes;
  }

  /**
   * Connects and sends `connected` + `start`, then starts the media clock. Resolves true once streaming, false when
   * the handshake failed (the record says why; `closed` has resolved).
   */
  open(): Promise<boolean> {
    const o = this.options;
    const signedUrl = o.signedUrl ?? o.url;
    const headers = o.signer ? o.signer.headers(signedUrl, {}, o.signatureMode ?? 'valid', true) : {};
    this.emit({ kind: 'stream', phase: 'connecting', url: signedUrl, mode: o.mode, streamSid: this.streamSid });
    return new Promise((resolve) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(o.url, { headers, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
      } catch (err) {
        this.fail(undefined, (err as Error).message);
        resolve(false);
        return;
      }
      this.ws = ws;
      const timeoutMs = o.connectTimeoutMs ?? 10_000;
      this.connectTimer = setTimeout(() => {
        ws.terminate();
        this.fail(undefined, `no WebSocket within ${timeoutMs} ms`);
        resolve(false);
      }, timeoutMs);
      ws.on('unexpected-response', (_req, res) => {
        res.resume();
        this.fail(res.statusCode, `upgrade refused with HTTP ${res.statusCode}`);
        ws.terminate();
        resolve(false);
      });
      ws.on('error', (err) => {
        if (!this.record.startedAt) {
          this.fail(undefined, err.message);
          resolve(false);
        }
      });
      ws.on('open', () => {
        clearTimeout(this.connectTimer);
        this.emit({ kind: 'stream', phase: 'opened', url: signedUrl, mode: o.mode, streamSid: this.streamSid });
        this.begin();
        resolve(true);
      });
      ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data, isBinary));
      ws.on('close', (code: number, reason: Buffer) => this.onClose(code, reason.toString()));
    });
  }

  /**
   * Ends the stream from Twilio's side: `stop` frame, then a normal close. Resolves when the socket is gone
   * (terminated after 1 s if the server does not complete the close handshake).
   */
  async stop(reason = 'call ended'): Promise<StreamClose> {
    if (this.finished) return this.closed;
    this.stopping = true;
    this.pacer.stop();
    const ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      this.flushHeld();
      if (!this.options.faults?.skipStop) {
        this.sendFrame({
          event: 'stop',
          sequenceNumber: ++this.seq,
          streamSid: this.streamSid,
          stop: { accountSid: this.options.accountSid, callSid: this.options.callSid },
        });
        this.record.sent.stop = true;
      }
      this.emit({
        kind: 'stream',
        phase: 'stopped',
        url: this.record.url,
        mode: this.options.mode,
        streamSid: this.streamSid,
        detail: reason,
      });
      ws.close(1000, reason.slice(0, 100));
      const t = setTimeout(() => ws.terminate(), 1000);
      await this.closed;
      clearTimeout(t);
    } else if (ws && ws.readyState === WebSocket.CONNECTING) {
      ws.terminate();
    } else {
      this.onClose(1000, reason);
    }
    return this.closed;
  }

  /** Fails the stream without connecting (Twilio refused to open it, e.g. a URL with a query string). */
  refuse(message: string): void {
    this.fail(undefined, message);
  }

  /** Kills the connection without a close handshake (network failure). */
  abort(): void {
    this.stopping = true;
    this.pacer.stop();
    this.ws?.terminate();
  }

  private begin(): void {
    const o = this.options;
    this.sendFrame({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    this.t0 = performance.now();
    this.record.startedAt = Date.now();
    this.sendFrame({
      event: 'start',
      sequenceNumber: ++this.seq,
      streamSid: this.streamSid,
      start: {
        accountSid: o.accountSid,
        streamSid: this.streamSid,
        callSid: o.callSid,
        tracks: this.record.tracks,
        customParameters: this.record.customParameters,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
    this.emit({ kind: 'stream', phase: 'started', url: this.record.url, mode: o.mode, streamSid: this.streamSid });
    if (o.faults?.abortAfterMs !== undefined) {
      this.abortTimer = setTimeout(() => {
        this.fault(`abort after ${o.faults?.abortAfterMs} ms`);
        this.abort();
      }, o.faults.abortAfterMs);
    }
    this.pacer.start(this.t0);
  }

  private tick(index: number): void {
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    const f = this.options.faults;
    const chunkNo = index + 1;
    const swap = f?.swapEvery && chunkNo % f.swapEvery === 0;
    const frames: string[] = [];
    for (const track of this.record.tracks) frames.push(...this.mediaFrames(track, index, f?.duplicateEvery));
    if (swap && !this.held) {
      this.held = frames;
      this.fault(`chunk ${chunkNo} held back`);
    } else {
      for (const s of frames) this.sendRaw(s);
      this.flushHeld();
    }
    this.sendDueDtmf(chunkNo * FRAME_MS);
    if (f) this.injectFaults(chunkNo, f);
  }

  private mediaFrames(track: MediaTrack, index: number, duplicateEvery: number | undefined): string[] {
    const chunk = ++this.chunks[track];
    const bytes = this.audio[track].frame(index, FRAME_BYTES);
    const stamp = this.options.stampFrames && track === 'inbound' ? chunk : undefined;
    if (stamp !== undefined) stampFrame(bytes, stamp);
    const sequenceNumber = ++this.seq;
    const timestamp = index * FRAME_MS;
    const frame: TwilioInboundFrame = {
      event: 'media',
      sequenceNumber,
      streamSid: this.streamSid,
      media: { track, chunk, timestamp, payload: bytes.toString('base64') },
    };
    const s = serializeTwilioFrame(frame);
    this.record.sent.media[track]++;
    if (this.options.recordFrames !== false) {
      this.record.sentMedia.push({ track, chunk, sequenceNumber, timestamp, t: this.now(), stamp });
    }
    if (duplicateEvery && chunk % duplicateEvery === 0 && track === this.record.tracks[0]) {
      this.fault(`chunk ${chunk} duplicated`);
      return [s, s];
    }
    return [s];
  }

  private flushHeld(): void {
    const held = this.held;
    this.held = undefined;
    if (held) for (const s of held) this.sendRaw(s);
  }

  private sendDueDtmf(untilMs: number): void {
    while (this.pendingDtmf.length && this.pendingDtmf[0]!.atMs <= untilMs) {
      const d = this.pendingDtmf.shift()!;
      this.sendFrame({
        event: 'dtmf',
        sequenceNumber: ++this.seq,
        streamSid: this.streamSid,
        dtmf: { track: 'inbound_track', digit: d.digit },
      });
      this.record.sent.dtmf++;
      this.emit({ kind: 'media', phase: 'dtmf', streamSid: this.streamSid, detail: d.digit });
    }
  }

  private injectFaults(chunk: number, f: StreamFaults): void {
    if (f.malformedAfterChunks?.includes(chunk)) {
      this.sendRaw('{"event":"media","sequenceNumber":');
      this.fault(`malformed frame after chunk ${chunk}`);
    }
    if (f.unknownEventAfterChunks?.includes(chunk)) {
      this.sendRaw(JSON.stringify({ event: 'bogus', sequenceNumber: String(++this.seq), streamSid: this.streamSid }));
      this.fault(`unknown event after chunk ${chunk}`);
    }
    if (f.binaryAfterChunks?.includes(chunk)) {
      this.ws?.send(Buffer.alloc(FRAME_BYTES, 0xff), { binary: true });
      this.record.sent.frames++;
      this.fault(`binary frame after chunk ${chunk}`);
    }
    if (f.oversizedAfterChunks?.includes(chunk)) {
      const payload = Buffer.alloc(MAX_TWILIO_FRAME_BYTES, 0xff).toString('base64');
      this.sendRaw(
        serializeTwilioFrame({
          event: 'media',
          sequenceNumber: ++this.seq,
          streamSid: this.streamSid,
          media: { track: 'inbound', chunk: this.chunks.inbound, timestamp: (chunk - 1) * FRAME_MS, payload },
        }),
      );
      this.fault(`oversized frame (${payload.length} bytes of payload) after chunk ${chunk}`);
    }
    if (f.flood && f.flood.afterChunk === chunk) {
      // A broken or hostile client blasting frames: fresh sequence numbers, but the stream's own timeline (chunks and
      // timestamps of the real audio) carries on unchanged after it.
      const c = this.chunks.inbound;
      const payload = Buffer.alloc(FRAME_BYTES, 0xff).toString('base64');
      for (let i = 0; i < f.flood.frames; i++) {
        this.sendRaw(
          serializeTwilioFrame({
            event: 'media',
            sequenceNumber: ++this.seq,
            streamSid: this.streamSid,
            media: { track: 'inbound', chunk: c, timestamp: (c - 1) * FRAME_MS, payload },
          }),
        );
      }
      this.fault(`flood of ${f.flood.frames} frames after chunk ${chunk}`);
    }
    if (f.stall && f.stall.afterChunk === chunk) {
      this.pacer.stall(f.stall.ms);
      this.fault(`stall of ${f.stall.ms} ms after chunk ${chunk}`);
    }
  }

  private fault(detail: string): void {
    this.record.sent.faults++;
    this.emit({ kind: 'media', phase: 'fault', streamSid: this.streamSid, detail });
  }

  private sendFrame(frame: TwilioInboundFrame): void {
    this.sendRaw(serializeTwilioFrame(frame));
  }

  private sendRaw(s: string): void {
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    this.ws.send(s);
    this.record.sent.frames++;
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const t = this.now();
    if (isBinary) {
      this.record.received.invalid.push({ t, reason: 'binary' });
      return;
    }
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.from(data as ArrayBuffer).toString('utf8');
    if (this.options.mode === 'fork') {
      // A unidirectional stream carries nothing back; Twilio ignores it, the test should know.
      this.record.received.invalid.push({ t, reason: 'message on a unidirectional stream' });
      return;
    }
    const read = readServerFrame(text);
    if (!read.ok) {
      this.record.received.invalid.push({ t, reason: read.reason });
      return;
    }
    const frame = read.frame;
    if (frame.streamSid !== this.streamSid) {
      this.record.received.invalid.push({ t, reason: `wrong streamSid "${frame.streamSid}"` });
      return;
    }
    switch (frame.event) {
      case 'media':
        return this.onAgentMedia(frame.media.payload, t);
      case 'mark':
        return this.onMark(frame.mark.name, t);
      case 'clear':
        return this.onClear(t);
    }
  }

  private onAgentMedia(payload: string, t: number): void {
    const bytes = Buffer.from(payload, 'base64');
    const playsAt = this.playout.enqueue(bytes.byteLength);
    this.agentChunks.push(bytes);
    this.record.audio.received += bytes.byteLength;
    this.record.received.media.push({
      t,
      bytes: bytes.byteLength,
      stamp: readPayloadStamp(payload),
      playsAt: playsAt - this.t0,
    });
  }

  private onMark(name: string, t: number): void {
    const mark: ReceivedMark = { name, t, cleared: false };
    this.record.received.marks.push(mark);
    if (this.options.timelineMarks)
      this.emit({ kind: 'media', phase: 'mark', streamSid: this.streamSid, detail: name });
    this.playout.mark(mark);
  }

  private onClear(t: number): void {
    const { droppedBytes, flushed } = this.playout.clear();
    this.record.audio.dropped += droppedBytes;
    this.record.received.clears.push({ t, droppedBytes, flushedMarks: flushed });
    this.emit({
      kind: 'media',
      phase: 'clear',
      streamSid: this.streamSid,
      detail: `dropped ${droppedBytes} bytes, flushed ${flushed.length} marks`,
    });
  }

  private echoMark(mark: ReceivedMark): void {
    mark.echoedAt = this.now();
    this.sendFrame({ event: 'mark', sequenceNumber: ++this.seq, streamSid: this.streamSid, mark: { name: mark.name } });
    this.record.sent.markEchoes++;
    if (this.options.timelineMarks) {
      this.emit({
        kind: 'media',
        phase: 'mark-echo',
        streamSid: this.streamSid,
        detail: mark.cleared ? `${mark.name} (cleared)` : mark.name,
      });
    }
  }

  private fail(status: number | undefined, message: string): void {
    if (this.finished) return;
    clearTimeout(this.connectTimer);
    this.record.handshakeError = { status, message };
    this.emit({
      kind: 'stream',
      phase: 'error',
      url: this.record.url,
      mode: this.options.mode,
      streamSid: this.streamSid,
      detail: message,
    });
    this.finish({ code: 1006, reason: message, by: 'failed', t: 0 });
  }

  private onClose(code: number, reason: string): void {
    if (this.finished) return;
    if (!this.record.startedAt) {
      this.fail(undefined, `closed before open (${code})`);
      return;
    }
    const by = this.stopping ? 'client' : 'server';
    this.emit({
      kind: 'stream',
      phase: 'closed',
      url: this.record.url,
      mode: this.options.mode,
      streamSid: this.streamSid,
      detail: `${code} by ${by}`,
    });
    this.finish({ code, reason, by, t: this.now() });
  }

  private finish(close: StreamClose): void {
    if (this.finished) return;
    this.finished = true;
    this.pacer.stop();
    clearTimeout(this.abortTimer);
    clearTimeout(this.connectTimer);
    this.playout.dispose();
    this.record.closed = close;
    this.resolveClosed(close);
  }

  private emit(e: TimelineEventBody): void {
    this.options.onEvent?.(e);
  }
}
