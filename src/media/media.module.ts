import { Module } from '@nestjs/common';
import { AUDIO_PROCESSOR } from './audio/audio-processor.interface.js';
import { createDefaultAudioProcessor } from './audio/default-audio-processor.js';
import { MEDIA_MODULE_OPTIONS, ConfigurableMediaModule } from './media.module-definition.js';
import { RESOLVED_MEDIA_OPTIONS } from './media.constants.js';
import { MediaExceptionFilter } from './media-exception.filter.js';
import { MediaGateway } from './media.gateway.js';
import { resolveMediaOptions, type ResolvedMediaOptions } from './media.options.js';
import { MediaSessionFactory } from './session/media-session.factory.js';
import { MediaSessionRegistry } from './session/media-session.registry.js';

/**
 * The Twilio Media Streams gateway at `/twilio/media` with its audio processor. The app must use the
 * {@link createTwilioWsAdapter} adapter. Needs CallsModule, TwilioModule, MetricsModule and EventEmitterModule (global).
 */
@Module({
  providers: [
    { provide: RESOLVED_MEDIA_OPTIONS, useFactory: resolveMediaOptions, inject: [MEDIA_MODULE_OPTIONS] },
    {
      provide: AUDIO_PROCESSOR,
      useFactory: (o: ResolvedMediaOptions) => o.audioProcessor ?? createDefaultAudioProcessor(o.vadThread),
      inject: [RESOLVED_MEDIA_OPTIONS],
    },
    MediaSessionRegistry,
    MediaSessionFactory,
    MediaExceptionFilter,
    MediaGateway,
  ],
  exports: [AUDIO_PROCESSOR, MediaSessionRegistry],
})
export class MediaModule extends ConfigurableMediaModule {}
