import { Module } from '@nestjs/common';
import { MEDIA_STREAM_PLAN, type MediaStreamPlan } from '../twilio/media-stream-plan.port.js';
import { AUDIO_PROCESSOR } from './audio/audio-processor.interface.js';
import { MEDIA_MODULE_OPTIONS, ConfigurableMediaModule } from './media.module-definition.js';
import { RESOLVED_MEDIA_OPTIONS } from './media.constants.js';
import { MediaExceptionFilter } from './media-exception.filter.js';
import { MediaGateway } from './media.gateway.js';
import { resolveMediaOptions, type ResolvedMediaOptions } from './media.options.js';
import { MediaSessionFactory } from './session/media-session.factory.js';
import { MediaSessionRegistry } from './session/media-session.registry.js';

/** What the voice webhook asks Twilio for, by media mode. */
const STREAM_PLANS: Record<ResolvedMediaOptions['mode'], MediaStreamPlan> = {
  fork: { kind: 'fork' },
  relay: { kind: 'connect' },
  off: { kind: 'none' },
};

/**
 * The Twilio Media Streams gateway at `/twilio/media` with its audio processor. The app must use the
 * {@link createTwilioWsAdapter} adapter. Needs CallsModule, TwilioModule, MetricsModule and EventEmitterModule (global).
 * Its `mode` is the app's one media setting: it also provides the `MEDIA_STREAM_PLAN` the voice webhook follows.
 */
@Module({
  providers: [
    { provide: RESOLVED_MEDIA_OPTIONS, useFactory: resolveMediaOptions, inject: [MEDIA_MODULE_OPTIONS] },
    {
      provide: AUDIO_PROCESSOR,
      // Loaded only when no processor is given, so a host that brings its own never loads onnxruntime.
      useFactory: async (o: ResolvedMediaOptions) =>
        o.audioProcessor ??
        new (await import('./audio/threaded-audio.processor.js')).ThreadedAudioProcessor(o.audioProcessorOptions),
      inject: [RESOLVED_MEDIA_OPTIONS],
    },
    {
      provide: MEDIA_STREAM_PLAN,
      useFactory: (o: ResolvedMediaOptions) => STREAM_PLANS[o.mode],
      inject: [RESOLVED_MEDIA_OPTIONS],
    },
    MediaSessionRegistry,
    MediaSessionFactory,
    MediaExceptionFilter,
    MediaGateway,
  ],
  exports: [AUDIO_PROCESSOR, MediaSessionRegistry, MEDIA_STREAM_PLAN],
})
export class MediaModule extends ConfigurableMediaModule {}
