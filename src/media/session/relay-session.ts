import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import {
  base64MulawDurationMs,
  type DtmfFrame,
  type MarkFrame,
  type MediaFrame,
  type StartFrame,
  type StopFrame,
  type TwilioOutboundFrame,
} from '../../protocol/twilio-media.js';
import type { CallControl } from '../../twilio/call-control.port.js';
import type { AudioEvent, AudioStream } from '../audio/audio-processor.interface.js';
import { CLOSE_CODES } from '../media.constants.js';
import { MEDIA_EVENTS } from '../media.events.js';
import { AgentUpstream } from '../relay/agent-upstream.js';
import { MediaSession, type SessionDeps } from './media-session.js';
import { decodePayload } from './payload-decoder.js';

/** Extra dependencies of relay mode: the way to send a call whose agent is gone to the fallback. */
export interface RelayDeps extends SessionDeps {
  readonly callControl: CallControl;
}

/** Our own marks, told apart from the agent's by this prefix. */
const OWN_MARK = 'cb:';
/** Frames held while the agent's socket opens (1 s of audio); older ones are dropped. */
const MAX_PENDING_FRAMES = 50;
/**
 * Our marks go out at most this often per call. A mark per burst of agent audio costs two messages each way for
 * every 20 ms frame when an agent streams at real pace; the local playout clock covers the time between marks.
 */
const MARK_INTERVAL_MS = 200;
/** The playout clock starts when audio is sent; Twilio starts playing it a little later (network, its buffer). */
const PLAYOUT_SLACK_MS = 40;

/**
 * Relay mode: `<Connect><Stream>` to us, and we carry the call's audio to a raw-audio voice agent and back,
 * rewriting stream SIDs, passing marks and clears.
 *
 * Barge-in: agent audio is still queued at Twilio while a mark we sent after it is unechoed; for audio sent since our
 * last mark (marks go out after bursts of agent audio, at most every 200 ms per call), while our playout clock (the
 * audio's duration, played from when it was sent) has not run out. When the audio processor hears the caller start
 * speaking during that time, we send Twilio `clear` at once (it drops the queue and echoes the marks), tell the agent,
 * and drop the agent's audio until the caller stops: the rest of the interrupted response must not play. Hosted
 * agents' own server-side VAD reacts 300–500 ms later.
 *
 * If the agent's socket cannot open or dies mid-call, the call is redirected to the fallback TwiML (through the
 * {@link CallControl} port, which retries) instead of leaving the caller in dead air.
 */
export class RelaySession extends MediaSession {
  private upstream: AgentUpstream | undefined;
  private readonly upstreamSid = 'MZ' + randomBytes(16).toString('hex');
  private readonly pending: string[] = [];
  private audio: AudioStream | undefined;
  private readonly ownMarks = new Set<string>();
  private readonly agentMarks = new Set<string>();
  private markSeq = 0;
  private markTimer: NodeJS.Timeout | undefined;
  private lastMarkAt = Number.NEGATIVE_INFINITY;
  /** When the agent audio sent so far ends playing at Twilio, by our clock (`performance.now()`). */
  private playoutEnd = 0;
  private audioSinceMark = false;
  private bargingIn = false;
  private bargeIns = 0;
  private clearsSent = 0;
  private agentFrames = 0;
  private agentFramesDropped = 0;
  private outSeq = 0;
  private closedReason: string | undefined;
  private lastTimestamp = 0;

  constructor(
    socket: WebSocket,
    private readonly relay: RelayDeps,
  ) {
    super(socket, relay);
  }

  protected onStart(frame: StartFrame): void {
    const url = this.relay.options.agentStreamUrl!;
    this.relay.metrics.mediaConnections.inc({ mode: 'relay' });
    this.audio = this.relay.audio.open({ tracks: ['inbound'], onEvent: (e) => this.onAudioEvent(e) });
    this.log('log', { msg: 'media stream started', mode: 'relay' });
    const callSid = frame.start.callSid;
    void this.persist('attach', () =>
      this.relay.calls.attachMedia(callSid, this.mediaInfo('relay', frame.start.tracks, this.relayInfo())),
    );
    void this.persist('connected', () => this.relay.calls.transition(callSid, 'connected'));
    this.emit(MEDIA_EVENTS.streamStarted, { callSid: this.callSid, streamSid: this.streamSid, mode: 'relay' });
    const start = JSON.stringify({
      event: 'start',
      sequenceNumber: String(++this.outSeq),
      start: { ...frame.start, streamSid: this.upstreamSid, tracks: ['inbound'] },
      streamSid: this.upstreamSid,
    });
    this.upstream = new AgentUpstream(url, this.relay.options.upstreamConnectTimeoutMs, {
      open: () => {
        this.upstream!.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
        this.upstream!.send(start);
        for (const json of this.pending.splice(0)) this.upstream!.send(json);
        this.log('log', { msg: 'agent stream connected' });
      },
      frame: (f) => this.fromAgent(f),
      rejected: (reason) => this.drop(`agent_${reason}`),
      closed: ({ code, reason, expected }) => {
        if (expected || this.finished) return;
        this.closedReason = `agent socket closed (${code}${reason ? `: ${reason}` : ''})`;
        void this.fallback();
      },
    });
  }

  protected onMedia(frame: MediaFrame): void {
    const { track, chunk, timestamp, payload } = frame.media;
    if (timestamp > this.lastTimestamp) this.lastTimestamp = timestamp;
    // Serialised by hand: the hot path of the relay, and the payload is base64 (no escaping needed).
    this.toAgent(
      `{"event":"media","sequenceNumber":"${++this.outSeq}","media":{"track":"${track}","chunk":"${chunk}","timestamp":"${timestamp}","payload":"${payload}"},"streamSid":"${this.upstreamSid}"}`,
    );
    this.audio?.push({ sequenceNumber: frame.sequenceNumber, track, timestamp, payload: decodePayload(payload) });
  }

  protected override onMark(frame: MarkFrame): void {
    const name = frame.mark.name;
    if (this.ownMarks.delete(name)) {
      // Twilio played everything up to our latest mark, and nothing was sent after it: nothing is queued.
      if (this.ownMarks.size === 0 && !this.audioSinceMark) this.playoutEnd = 0;
      return;
    }
    if (this.agentMarks.delete(name)) {
      this.toAgent(
        JSON.stringify({
          event: 'mark',
          sequenceNumber: String(++this.outSeq),
          streamSid: this.upstreamSid,
          mark: { name },
        }),
      );
    }
  }

  /** Twilio ended the stream: tell the agent the way Twilio would have told it, before closing its socket. */
  protected override onStop(frame: StopFrame): void {
    this.upstream?.send(
      JSON.stringify({
        event: 'stop',
        sequenceNumber: String(++this.outSeq),
        streamSid: this.upstreamSid,
        stop: frame.stop,
      }),
    );
  }

  protected override onDtmf(frame: DtmfFrame): void {
    this.toAgent(JSON.stringify({ ...frame, sequenceNumber: String(++this.outSeq), streamSid: this.upstreamSid }));
  }

  private fromAgent(frame: TwilioOutboundFrame): void {
    switch (frame.event) {
      case 'media':
        this.agentFrames += 1;
        if (this.bargingIn) {
          this.agentFramesDropped += 1;
          return;
        }
        this.toTwilio(`{"event":"media","streamSid":"${this.streamSid}","media":{"payload":"${frame.media.payload}"}}`);
        this.queued(base64MulawDurationMs(frame.media.payload));
        return;
      case 'mark':
        this.agentMarks.add(frame.mark.name);
        this.toTwilio(JSON.stringify({ event: 'mark', streamSid: this.streamSid, mark: { name: frame.mark.name } }));
        return;
      case 'clear':
        this.clearTwilio();
        this.stopMarks();
        return;
    }
  }

  /** Agent audio of `ms` went to Twilio: advance the playout clock, and mark the burst (throttled). */
  private queued(ms: number): void {
    const now = performance.now();
    this.playoutEnd = Math.max(now, this.playoutEnd) + ms;
    this.audioSinceMark = true;
    if (this.markTimer) return;
    this.markTimer = setTimeout(this.sendMark, Math.max(0, this.lastMarkAt + MARK_INTERVAL_MS - now));
  }

  private readonly sendMark = (): void => {
    this.markTimer = undefined;
    this.lastMarkAt = performance.now();
    this.audioSinceMark = false;
    const name = `${OWN_MARK}${++this.markSeq}`;
    this.ownMarks.add(name);
    this.toTwilio(JSON.stringify({ event: 'mark', streamSid: this.streamSid, mark: { name } }));
  };

  /**
   * Agent audio is still queued at Twilio. An unechoed mark is certain (Twilio echoes it when playback reaches it);
   * for audio sent after the last mark, the playout clock decides: it may have played while the mark waits its turn.
   */
  private agentAudioQueued(): boolean {
    if (this.ownMarks.size > 0 || this.agentMarks.size > 0) return true;
    return this.audioSinceMark && performance.now() < this.playoutEnd + PLAYOUT_SLACK_MS;
  }

  private onAudioEvent(e: AudioEvent): void {
    if (e.track !== 'inbound' || this.finished) return;
    if (e.type === 'speech.started') {
      this.emit(MEDIA_EVENTS.speechStarted, {
        callSid: this.callSid,
        streamSid: this.streamSid,
        track: 'inbound',
        speaker: 'caller',
        at: e.at,
      });
      if (this.agentAudioQueued()) this.bargeIn(e.at);
    } else if (e.type === 'speech.stopped') {
      this.emit(MEDIA_EVENTS.speechStopped, {
        callSid: this.callSid,
        streamSid: this.streamSid,
        track: 'inbound',
        speaker: 'caller',
        at: e.at,
      });
      this.bargingIn = false;
    } else {
      this.emit(MEDIA_EVENTS.dtmf, { callSid: this.callSid, streamSid: this.streamSid, digit: e.digit, at: e.at });
    }
  }

  private bargeIn(at: number): void {
    this.bargingIn = true;
    this.bargeIns += 1;
    this.relay.metrics.interruptions.inc({ mode: 'relay' });
    this.clearTwilio();
    this.stopMarks();
    // Twilio's protocol has no "clear" towards a server; agents that speak it take the same frame we send Twilio.
    this.toAgent(JSON.stringify({ event: 'clear', streamSid: this.upstreamSid }));
    this.emit(MEDIA_EVENTS.interruption, { callSid: this.callSid, streamSid: this.streamSid, at });
    this.log('log', { msg: 'barge-in: cleared agent audio', at });
  }

  private clearTwilio(): void {
    this.clearsSent += 1;
    this.toTwilio(JSON.stringify({ event: 'clear', streamSid: this.streamSid }));
  }

  private toTwilio(json: string): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(json);
  }

  private toAgent(json: string): void {
    if (this.upstream?.send(json)) return;
    if (this.upstream && !this.finished) {
      if (this.pending.length >= MAX_PENDING_FRAMES) {
        this.pending.shift();
        this.drop('agent_not_ready');
      }
      this.pending.push(json);
    }
  }

  /** The agent is gone mid-call: redirect the live call to the fallback TwiML, then let the stream end. */
  private async fallback(): Promise<void> {
    const callSid = this.callSid!;
    this.log('warn', { msg: 'agent stream lost: sending the call to fallback', reason: this.closedReason });
    const redirect = await this.relay.callControl.redirectToFallback(callSid);
    // A failure is logged by the port; the record says what we meant to do either way.
    if (redirect.outcome === 'gone') this.log('log', { msg: 'the call had already ended: no fallback redirect' });
    let moved = false;
    await this.persist('fallback', async () => {
      moved = await this.relay.calls.transition(callSid, 'fallback', 'agent_stream_lost');
    });
    if (moved) this.relay.metrics.fallbacks.inc({ reason: 'agent_stream_lost' });
    this.closeSocket(CLOSE_CODES.normal, 'agent unavailable');
    await this.finish('agent_lost');
  }

  private relayInfo() {
    return {
      upstreamUrl: redact(this.relay.options.agentStreamUrl!),
      bargeIns: this.bargeIns,
      clearsSent: this.clearsSent,
      marksPending: this.ownMarks.size + this.agentMarks.size,
      agentFrames: this.agentFrames,
      agentFramesDropped: this.agentFramesDropped,
      closedReason: this.closedReason,
    };
  }

  /** Twilio drops its queue on `clear` (and echoes the pending marks): our clock and pending mark go too. */
  private stopMarks(): void {
    clearTimeout(this.markTimer);
    this.markTimer = undefined;
    this.playoutEnd = 0;
    this.audioSinceMark = false;
  }

  protected async close(reason: string): Promise<void> {
    this.stopMarks();
    this.upstream?.close(1000, 'call ended');
    this.pending.length = 0;
    if (!this.started) return;
    this.relay.metrics.mediaConnections.dec({ mode: 'relay' });
    if (this.audio) {
      await this.audio.end(this.lastTimestamp);
      this.audio.close();
      this.countAudio(this.audio.stats);
      this.audio = undefined;
    }
    const figures = { frames: { ...this.frames }, dropped: { ...this.dropped }, relay: this.relayInfo() };
    const callSid = this.callSid!;
    await this.persist('detach', () => this.relay.calls.detachMedia(callSid, this.streamSid!, figures));
    this.log('log', { msg: 'media stream ended', reason, bargeIns: this.bargeIns, agentFrames: this.agentFrames });
    this.emit(MEDIA_EVENTS.streamEnded, { callSid: this.callSid, streamSid: this.streamSid, mode: 'relay' });
  }
}

/** Query strings may carry tokens: keep them out of the record. */
function redact(url: string): string {
  const u = new URL(url);
  u.search = '';
  u.username = '';
  u.password = '';
  return u.toString();
}
