import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TwilioInboundFrame } from '../protocol/twilio-media.js';

/**
 * The process's Prometheus metrics, in a registry of its own (two apps in one process, as in tests, do not collide).
 * Labels are bounded enums: never a CallSid or a URL.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly webhooks = new Counter({
    name: 'callbridge_webhooks_total',
    help: 'Twilio and Retell webhooks answered, by source, route (as declared) and outcome (ok, rejected: bad signature, invalid: other 4xx, error: 5xx, aborted: no response)',
    labelNames: ['source', 'route', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly signatureRejections = new Counter({
    name: 'callbridge_signature_rejections_total',
    help: 'Requests and stream upgrades refused for a missing or bad signature',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly retellRegistrations = new Histogram({
    name: 'callbridge_retell_registration_seconds',
    help: 'register-phone-call duration, by outcome (ok, or the failure: retell_timeout, retell_error, retell_unreachable)',
    labelNames: ['outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [this.registry],
  });

  readonly fallbacks = new Counter({
    name: 'callbridge_fallbacks_total',
    help: 'Calls sent to the fallback (message, then the fallback number or a hang-up), by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly mediaConnections = new Gauge({
    name: 'callbridge_media_streams_open',
    help: 'Media stream sockets open, by mode',
    labelNames: ['mode'] as const,
    registers: [this.registry],
  });

  /**
   * Frames received and not yet collected, by event. A labelled `inc` hashes its labels, and media frames arrive 100
   * times a second per call: the hot path adds to plain numbers, folded into {@link mediaFrames} when it is read.
   */
  private readonly uncountedFrames: Record<TwilioInboundFrame['event'], number> = {
    connected: 0,
    start: 0,
    media: 0,
    mark: 0,
    dtmf: 0,
    stop: 0,
  };

  readonly mediaFrames = new Counter({
    name: 'callbridge_media_frames_total',
    help: 'Media stream frames received, by event',
    labelNames: ['event'] as const,
    registers: [this.registry],
    collect: () => this.foldFrameCounts(),
  });

  readonly mediaFramesDropped = new Counter({
    name: 'callbridge_media_frames_dropped_total',
    help: 'Media stream frames dropped, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly mediaSocketsClosed = new Counter({
    name: 'callbridge_media_sockets_closed_total',
    help: 'Media stream sockets closed by us, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly interruptions = new Counter({
    name: 'callbridge_interruptions_total',
    help: 'The caller started speaking over the agent, by media mode (relay: a barge-in, the agent audio queued at Twilio was cleared)',
    labelNames: ['mode'] as const,
    registers: [this.registry],
  });

  readonly twilioRestAttempts = new Counter({
    name: 'callbridge_twilio_rest_attempts_total',
    help: 'Twilio REST attempts, by operation (create, redirect, fallback, hangup) and result (ok, gone: the call had ended, retried, failed)',
    labelNames: ['operation', 'result'] as const,
    registers: [this.registry],
  });

  readonly vadWindows = new Counter({
    name: 'callbridge_vad_windows_total',
    help: 'Audio analysis windows (32 ms) of ended media streams, by what judged them: the speech model or the first stage alone',
    labelNames: ['judged_by'] as const,
    registers: [this.registry],
  });

  readonly vadModelSkipped = new Counter({
    name: 'callbridge_vad_model_skipped_windows_total',
    help: 'Windows of ended media streams meant for the speech model but settled by the first stage because the model was behind (overload)',
    registers: [this.registry],
  });

  readonly vadStreamsMoved = new Counter({
    name: 'callbridge_vad_streams_moved_total',
    help: 'Ended media streams analysed on the event loop, from their start or from mid-call, because the analysis thread was starved or dead',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'callbridge_' });
  }

  /** One media-stream frame received (hot path: no label hashing; see {@link mediaFrames}). */
  countMediaFrame(event: TwilioInboundFrame['event']): void {
    this.uncountedFrames[event] += 1;
  }

  private foldFrameCounts(): void {
    const pending = this.uncountedFrames;
    for (const event of Object.keys(pending) as TwilioInboundFrame['event'][]) {
      if (pending[event] === 0) continue;
      this.mediaFrames.inc({ event }, pending[event]);
      pending[event] = 0;
    }
  }
}
