import type { WebSocket } from 'ws';
import type { MediaTrack, MediaFrame, StartFrame } from '../../protocol/twilio-media.js';
import type { AudioEvent, AudioStream } from '../audio/audio-processor.interface.js';
import { ConversationAnalyzer } from '../analytics/conversation-analyzer.js';
import { MEDIA_EVENTS, speakerOf } from '../media.events.js';
import { MediaSession, type SessionDeps } from './media-session.js';
import { decodePayload } from './payload-decoder.js';

/**
 * Fork mode: Twilio forks both tracks of the call here (`<Start><Stream track="both_tracks">`). Measures the
 * conversation live, raises app events as it goes, and keeps the call record's analytics current.
 */
export class ForkSession extends MediaSession {
  private audio: AudioStream | undefined;
  private analyzer: ConversationAnalyzer | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private lastTimestamp = 0;
  private dirty = false;
  private tracks: readonly MediaTrack[] = [];

  constructor(socket: WebSocket, deps: SessionDeps) {
    super(socket, deps);
  }

  protected onStart(frame: StartFrame): void {
    const callSid = frame.start.callSid;
    const streamSid = frame.streamSid;
    this.tracks = frame.start.tracks;
    this.analyzer = new ConversationAnalyzer(
      {
        interruption: (at) => {
          this.deps.metrics.interruptions.inc({ mode: 'fork' });
          this.emit(MEDIA_EVENTS.interruption, { callSid, streamSid, at });
        },
        deadAir: (ms, since) => this.emit(MEDIA_EVENTS.deadAir, { callSid, streamSid, ms, since }),
      },
      this.deps.options.deadAirThresholdMs,
    );
    this.audio = this.deps.audio.open({ tracks: this.tracks, onEvent: (e) => this.onAudioEvent(e) });
    this.deps.metrics.mediaConnections.inc({ mode: 'fork' });
    this.flushTimer = setInterval(() => void this.flush(), this.deps.options.analyticsFlushMs);
    this.flushTimer.unref();
    this.log('log', { msg: 'media stream started', mode: 'fork', tracks: this.tracks });
    void this.persist('attach', () => this.deps.calls.attachMedia(callSid, this.mediaInfo('fork', this.tracks)));
    this.emit(MEDIA_EVENTS.streamStarted, { callSid, streamSid, mode: 'fork' });
  }

  protected onMedia(frame: MediaFrame): void {
    const { track, timestamp } = frame.media;
    if (timestamp > this.lastTimestamp) this.lastTimestamp = timestamp;
    this.audio!.push({
      sequenceNumber: frame.sequenceNumber,
      track,
      timestamp,
      payload: decodePayload(frame.media.payload),
    });
    this.analyzer!.advance(this.lastTimestamp);
  }

  private onAudioEvent(e: AudioEvent): void {
    if (this.finished && !this.audio) return;
    this.analyzer?.onEvent(e);
    this.dirty = true;
    const base = { callSid: this.callSid!, streamSid: this.streamSid! };
    switch (e.type) {
      case 'speech.started':
        return this.emit(MEDIA_EVENTS.speechStarted, {
          ...base,
          track: e.track,
          speaker: speakerOf(e.track),
          at: e.at,
        });
      case 'speech.stopped':
        return this.emit(MEDIA_EVENTS.speechStopped, {
          ...base,
          track: e.track,
          speaker: speakerOf(e.track),
          at: e.at,
        });
      case 'dtmf':
        return this.emit(MEDIA_EVENTS.dtmf, { ...base, digit: e.digit, at: e.at });
    }
  }

  /** The live analytics and counters. */
  private figures() {
    return {
      analytics: this.analyzer!.snapshot(),
      frames: { ...this.frames },
      dropped: { ...this.dropped, ...this.audioDrops() },
    };
  }

  /** Writes the live analytics and counters to the call's stream (only when something changed). */
  private async flush(): Promise<void> {
    if (!this.callSid || !this.analyzer || !this.dirty) return;
    this.dirty = false;
    const callSid = this.callSid;
    const figures = this.figures();
    const stored = await this.persist('analytics', () =>
      this.deps.calls.patchAnalytics(callSid, this.streamSid!, figures),
    );
    if (!stored) this.dirty = true;
  }

  private audioDrops(): Record<string, number> {
    const s = this.audio?.stats;
    if (!s) return {};
    const out: Record<string, number> = {};
    if (s.framesLate) out.late = s.framesLate;
    if (s.framesDuplicate) out.duplicate = s.framesDuplicate;
    if (s.framesMissing) out.missing = s.framesMissing;
    return out;
  }

  protected async close(reason: string): Promise<void> {
    clearInterval(this.flushTimer);
    if (!this.started) return;
    this.deps.metrics.mediaConnections.dec({ mode: 'fork' });
    const audio = this.audio;
    if (audio) {
      // Let the processor close open turns (and finish inference in flight) so the final figures are complete.
      await audio.end(this.lastTimestamp);
      audio.close();
      this.countAudio(audio.stats);
    }
    // The final figures and the end of the stream, in one write.
    const figures = this.figures();
    this.audio = undefined;
    const callSid = this.callSid!;
    await this.persist('detach', () => this.deps.calls.detachMedia(callSid, this.streamSid!, figures));
    this.log('log', { msg: 'media stream ended', reason, frames: this.frames, dropped: this.dropped });
    this.emit(MEDIA_EVENTS.streamEnded, { callSid: this.callSid, streamSid: this.streamSid, mode: 'fork' });
  }
}
