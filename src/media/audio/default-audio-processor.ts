import type { AudioProcessor } from './audio-processor.interface.js';
import type { SileroAudioProcessorOptions } from './audio-processor.options.js';
import { SileroAudioProcessor } from './silero-audio.processor.js';

/**
 * The processor the media module uses when none is given: {@link SileroAudioProcessor} with its defaults. Returned
 * unloaded; Nest's `onModuleInit` loads the model at boot and `onApplicationShutdown` releases it.
 */
export function createDefaultAudioProcessor(options?: SileroAudioProcessorOptions): AudioProcessor {
  return new SileroAudioProcessor(options);
}
