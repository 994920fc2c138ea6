import type { Logger } from '@nestjs/common';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import type { WebSocket } from 'ws';
import type { CallMediaInfo } from '../../calls/call-record.js';
import type { MediaStreamInput } from '../../calls/call-store.interface.js';
import type { CallsService } from '../../calls/calls.service.js';
import type { MetricsService } from '../../metrics/metrics.service.js';
import type {
  DtmfFrame,
  FrameRejection,
  MarkFrame,
  MediaFrame,
  StartFrame,
  StopFrame,
  TwilioInboundFrame,
} from '../../protocol/twilio-media.js';
import type { AudioProcessor, AudioStreamStats } from '../audio/audio-processor.interface.js';
import { CLOSE_CODES } from '../media.constants.js';
import type { ResolvedMediaOptions } from '../media.options.js';

/** What every session needs from the app; handed over by the session factory. */
export interface SessionDeps {
  readonly options: ResolvedMediaOptions;
  readonly calls: CallsService;
  readonly metrics: MetricsService;
  readonly events: EventEmitter2;
  readonly audio: AudioProcessor;
  readonly logger: Logger;
}

/**
 * One Twilio media stream socket: its call, counters and flood control. Subclasses decide what the audio is for
 * (fork: analytics; relay: an agent). Sessions never write to the Twilio socket except the frames the protocol
 * allows (anything else is Twilio error 31951), and never throw into the gateway.
 */
export abstract class MediaSession {
  callSid?: string;
  streamSid?: string;
  protected started = false;
  protected finished = false;
  protected readonly frames = { inbound: 0, outbound: 0 };
  protected readonly dropped: Record<string, number> = {};
  /** The session's store writes, in order: a stream that stops right after it starts still attaches first. */
  private writes: Promise<unknown> = Promise.resolve();
  private tokens: number;
  private lastRefill = performance.now();
  private floodingSince: number | undefined;

  constructor(
    protected readonly socket: WebSocket,
    protected readonly deps: SessionDeps,
  ) {
    this.tokens = deps.options.maxFramesPerSecond;
  }

  /** The gateway hands over every parsed frame here. */
  receive(frame: TwilioInboundFrame): void {
    if (this.finished || !this.admit()) return;
    this.deps.metrics.countMediaFrame(frame.event);
    switch (frame.event) {
      case 'connected':
        return;
      case 'start':
        if (this.started) return this.drop('duplicate_start');
        this.started = true;
        this.callSid = frame.start.callSid;
        this.streamSid = frame.streamSid;
        return this.onStart(frame);
      case 'media':
        if (!this.started) return this.drop('before_start');
        if (frame.streamSid !== this.streamSid) return this.drop('wrong_stream');
        this.frames[frame.media.track] += 1;
        return this.onMedia(frame);
      case 'mark':
        return this.onMark(frame);
      case 'dtmf':
        return this.onDtmf(frame);
      case 'stop':
        this.onStop(frame);
        void this.finish('stop');
        return;
    }
  }

  /** A frame the parser refused (not JSON, oversized, unknown event, missing fields). */
  rejected(reason: FrameRejection): void {
    this.drop(reason);
  }

  /** The socket closed (Twilio hung up, or the network went). */
  socketClosed(code: number): void {
    void this.finish(code === CLOSE_CODES.normal ? 'closed' : `closed_${code}`);
  }

  protected abstract onStart(frame: StartFrame): void;
  protected abstract onMedia(frame: MediaFrame): void;
  protected onMark(_frame: MarkFrame): void {}
  protected onDtmf(_frame: DtmfFrame): void {}
  protected onStop(_frame: StopFrame): void {}
  /** Releases the session's resources and writes its final state; runs once. */
  protected abstract close(reason: string): Promise<void>;

  /** Ends the session once, whatever ends it first (stop frame, socket close, shutdown). */
  async finish(reason: string): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    try {
      await this.close(reason);
    } catch (err) {
      this.log('error', { msg: 'media session close failed', reason, error: (err as Error).message });
    }
  }

  protected drop(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
    this.deps.metrics.mediaFramesDropped.inc({ reason });
  }

  protected closeSocket(code: number, reason: string): void {
    this.deps.metrics.mediaSocketsClosed.inc({ reason });
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, reason);
    }
  }

  protected mediaInfo(
    mode: 'fork' | 'relay',
    tracks: readonly string[],
    relay?: CallMediaInfo['relay'],
  ): MediaStreamInput {
    return {
      streamSid: this.streamSid ?? '',
      mode,
      tracks: [...tracks],
      frames: { ...this.frames },
      dropped: { ...this.dropped },
      ...(relay ? { relay } : {}),
    };
  }

  /**
   * Runs a store write after the session's earlier ones. A failure (the database is down) is logged, never thrown:
   * the call goes on without its figures, and the next write tries again. Resolves whether it succeeded.
   */
  protected persist(what: string, write: () => Promise<unknown>): Promise<boolean> {
    const done = this.writes.then(write).then(
      () => true,
      (err: unknown) => {
        this.log('warn', { msg: 'media figures not stored', what, error: (err as Error).message });
        return false;
      },
    );
    this.writes = done;
    return done;
  }

  /** Adds an ended stream's analysis counters to the metrics: how much the model judged, and what it had to skip. */
  protected countAudio(stats: Readonly<AudioStreamStats>): void {
    const m = this.deps.metrics;
    if (stats.modelWindows) m.vadWindows.inc({ judged_by: 'model' }, stats.modelWindows);
    if (stats.gatedWindows) m.vadWindows.inc({ judged_by: 'first_stage' }, stats.gatedWindows);
    if (stats.modelSkippedWindows) m.vadModelSkipped.inc(stats.modelSkippedWindows);
    if (stats.movedToEventLoop) m.vadStreamsMoved.inc(stats.movedToEventLoop);
  }

  protected log(level: 'log' | 'warn' | 'error' | 'debug', fields: Record<string, unknown>): void {
    this.deps.logger[level]({ callSid: this.callSid, streamSid: this.streamSid, ...fields });
  }

  /** Emits an app event; a throwing listener must not take the stream down. */
  protected emit(name: string, payload: object): void {
    try {
      this.deps.events.emit(name, payload);
    } catch (err) {
      this.log('error', { msg: 'media event listener threw', event: name, error: (err as Error).message });
    }
  }

  /**
   * Token bucket: `maxFramesPerSecond` with a one-second burst. Twilio sends 50 frames a second per track; a socket
   * far above that is broken or hostile: the excess is dropped, and a flood that lasts is cut off.
   */
  private admit(): boolean {
    const now = performance.now();
    const rate = this.deps.options.maxFramesPerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.lastRefill) * rate) / 1000);
    this.lastRefill = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.floodingSince = undefined;
      return true;
    }
    this.drop('flood');
    this.floodingSince ??= now;
    if (now - this.floodingSince > this.deps.options.floodCloseAfterMs) {
      this.log('warn', { msg: 'closing a media socket that keeps flooding' });
      this.closeSocket(CLOSE_CODES.policyViolation, 'rate limit');
      void this.finish('flood');
    }
    return false;
  }
}
