import type { INestApplication } from '@nestjs/common';
import { AUDIO_PROCESSOR } from '../../src/media/audio/audio-processor.interface.js';
import { ThreadedAudioProcessor } from '../../src/media/audio/threaded-audio.processor.js';
import { eventually } from './harness.js';

/**
 * The app's default processor ran the model on the caller's windows (a failing model would leave the first stage to
 * do it, silently but for the error log): in its analysis thread, or, had the thread been starved, on the event loop.
 */
export async function expectModelRan(app: INestApplication): Promise<void> {
  const processor = app.get(AUDIO_PROCESSOR, { strict: false }) as unknown;
  expect(processor).toBeInstanceOf(ThreadedAudioProcessor);
  const threaded = processor as ThreadedAudioProcessor;
  if (threaded.fallbackStats.streamsMoved > 0) return;
  // The thread reports its counters twice a second.
  await eventually(
    () => (threaded.analysisStats.runs > 0 ? true : undefined),
    2000,
    'the analysis thread to report model runs',
  );
}
