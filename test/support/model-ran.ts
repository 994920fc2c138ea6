import type { INestApplication } from '@nestjs/common';
import { AUDIO_PROCESSOR } from '../../src/media/audio/audio-processor.interface.js';
import { SileroAudioProcessor } from '../../src/media/audio/silero-audio.processor.js';
import { ThreadedAudioProcessor } from '../../src/media/audio/threaded-audio.processor.js';
import type { VadThread } from '../../src/media/audio/silero-thread.js';
import { eventually } from './harness.js';

/**
 * The model itself judged the caller's windows, where `VAD_THREAD` says (a failing model would leave the first stage
 * to do it, silently but for the error log); with `analysis`, in the thread, which was never starved.
 */
export async function expectModelRan(app: INestApplication, vadThread: VadThread): Promise<void> {
  const processor = app.get(AUDIO_PROCESSOR, { strict: false }) as unknown;
  if (vadThread === 'analysis') {
    expect(processor).toBeInstanceOf(ThreadedAudioProcessor);
    const threaded = processor as ThreadedAudioProcessor;
    // The thread reports its counters twice a second.
    await eventually(
      () => (threaded.analysisStats.runs > 0 ? true : undefined),
      2000,
      'the analysis thread to report model runs',
    );
    expect(threaded.fallbackStats).toEqual({ starvations: 0, streamsMoved: 0, streamsBack: 0, starving: false });
    return;
  }
  expect(processor).toBeInstanceOf(SileroAudioProcessor);
  const silero = processor as SileroAudioProcessor;
  expect(silero.options.modelThread).toBe(vadThread);
  expect(silero.batchStats.runs).toBeGreaterThan(0);
}
