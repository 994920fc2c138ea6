import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { WebSocket } from 'ws';
import { CallsService } from '../../calls/calls.service.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { CALL_CONTROL, type CallControl } from '../../twilio/call-control.port.js';
import { AUDIO_PROCESSOR, type AudioProcessor } from '../audio/audio-processor.interface.js';
import { RESOLVED_MEDIA_OPTIONS } from '../media.constants.js';
import type { ResolvedMediaOptions } from '../media.options.js';
import { ForkSession } from './fork-session.js';
import type { MediaSession } from './media-session.js';
import { RelaySession, type RelayDeps } from './relay-session.js';

/** Makes the session for a new stream socket, by mode. */
@Injectable()
export class MediaSessionFactory {
  private readonly deps: RelayDeps;

  constructor(
    @Inject(RESOLVED_MEDIA_OPTIONS) options: ResolvedMediaOptions,
    calls: CallsService,
    metrics: MetricsService,
    events: EventEmitter2,
    @Inject(AUDIO_PROCESSOR) audio: AudioProcessor,
    @Inject(CALL_CONTROL) callControl: CallControl,
  ) {
    this.deps = {
      options,
      calls,
      metrics,
      events,
      audio,
      callControl,
      logger: new Logger('MediaSession'),
    };
  }

  create(socket: WebSocket): MediaSession {
    return this.deps.options.mode === 'relay'
      ? new RelaySession(socket, this.deps)
      : new ForkSession(socket, this.deps);
  }
}
