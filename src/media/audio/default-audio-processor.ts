import type { AudioProcessor } from './audio-processor.interface.js';
import type { SileroAudioProcessorOptions } from './audio-processor.options.js';
import type { VadThread } from './silero-thread.js';
import { SileroAudioProcessor } from './silero-audio.processor.js';
import { ThreadedAudioProcessor } from './threaded-audio.processor.js';

/**
 * The processor the media module uses when none is given, by where it should run (`VAD_THREAD`): `analysis` (the
 * default) = {@link ThreadedAudioProcessor}, the whole analysis in a thread of its own; `worker` or `main` =
 * {@link SileroAudioProcessor} with its model in a worker thread or on the event loop. Returned unloaded; Nest's
 * `onModuleInit` loads the model at boot and `onApplicationShutdown` releases it.
 */
export function createDefaultAudioProcessor(
  thread: VadThread = 'analysis',
  options: Omit<SileroAudioProcessorOptions, 'modelThread'> = {},
): AudioProcessor {
  if (thread === 'analysis') return new ThreadedAudioProcessor(options);
  return new SileroAudioProcessor({ ...options, modelThread: thread });
}
