import type { MediaTrack } from '../../protocol/twilio-media.js';
import { Test } from '@nestjs/testing';
import {
  AUDIO_PROCESSOR,
  type AudioEvent,
  type AudioFrame,
  type AudioProcessor,
  type AudioStream,
} from './audio-processor.interface.js';
import { createDefaultAudioProcessor } from './default-audio-processor.js';
import { clipFrames, playFrames } from '../../../test/support/audio/clip-frames.js';
import { labelledClip } from '../../../test/support/audio/labelled-clip.js';
import { ThreadedAudioProcessor } from './threaded-audio.processor.js';

const stalled = new URL('../../../test/support/audio/stalled-analysis-thread.mjs', import.meta.url);
const dying = new URL('../../../test/support/audio/dying-analysis-thread.mjs', import.meta.url);
const hiccup = new URL('../../../test/support/audio/hiccup-analysis-thread.mjs', import.meta.url);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Plays frames at ten times real pace (one 20 ms frame each 2 ms), as a live stream delivers them, only faster. */
function play(
  processor: ThreadedAudioProcessor,
  frames: readonly AudioFrame[],
  tracks: readonly MediaTrack[] = ['inbound'],
) {
  return playFrames(processor, frames, tracks, async () => {
    await sleep(2);
  });
}

describe(ThreadedAudioProcessor.name, () => {
  describe('with the analysis thread (the built worker from dist/)', () => {
    let processor: ThreadedAudioProcessor;
    beforeAll(async () => {
      processor = new ThreadedAudioProcessor();
      await processor.onModuleInit();
    });
    afterAll(async () => {
      await processor.onApplicationShutdown();
    });

    it.each(['s1_clean', 's1_pink_snr10', 's2_white_snr10'])(
      '%s: one turn, dated within 60 ms of the labelled onset and detected within 160 ms of it, as on the event loop',
      async (name) => {
        const clip = labelledClip(name);
        const { events, stream } = await play(processor, clipFrames(clip.samples));
        expect(events.map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
        const [start] = events as [AudioEvent];
        expect(Math.abs(start.at - clip.onsetMs)).toBeLessThanOrEqual(60);
        expect(start.detectedAt - clip.onsetMs).toBeLessThanOrEqual(160);
        // The thread's counters come back when the stream ends.
        expect(stream.stats.framesIn).toBe(Math.ceil(clip.samples.length / 160));
        expect(stream.stats.modelWindows).toBeGreaterThan(0);
        expect(stream.stats.movedToEventLoop).toBeUndefined();
        expect(processor.fallbackStats).toEqual({ starvations: 0, streamsMoved: 0, streamsBack: 0, starving: false });
      },
    );

    it('only_white: no turn; dtmf_0: heard as "0", never as speech', async () => {
      expect((await play(processor, clipFrames(labelledClip('only_white').samples))).events).toEqual([]);
      const { events } = await play(processor, clipFrames(labelledClip('dtmf_0').samples));
      expect(events.map((e) => (e.type === 'dtmf' ? e.digit : e.type))).toEqual(['0']);
    });

    it('keeps streams apart: two calls at once each get their own events', async () => {
      const speech = clipFrames(labelledClip('s1_clean').samples);
      const noise = clipFrames(labelledClip('only_pink').samples);
      const [a, b] = await Promise.all([play(processor, speech), play(processor, noise)]);
      expect(a.events.map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
      expect(b.events).toEqual([]);
    });

    it('a closed stream gets no more events, and its frames go nowhere', async () => {
      const events: AudioEvent[] = [];
      const stream = processor.open({ tracks: ['inbound'], onEvent: (e) => events.push(e) });
      for (const f of clipFrames(labelledClip('s1_clean').samples)) stream.push(f);
      stream.close();
      await sleep(200);
      expect(events).toEqual([]);
      await expect(stream.end(5000)).resolves.toBeUndefined();
    });
  });

  describe('when the thread is starved or dies', () => {
    it('moves open streams to the event loop: the open turn is closed at the last frame, analysis goes on there', async () => {
      const processor = new ThreadedAudioProcessor({ workerFile: stalled, starvedAfterMs: 60 });
      await processor.onModuleInit();
      try {
        // One second of silence (mu-law 0xff), then the clip: the stream moves during the silence.
        const clip = labelledClip('s1_clean');
        const samples = new Uint8Array(8000 + clip.samples.length).fill(0xff);
        samples.set(clip.samples, 8000);
        const onsetMs = 1000 + clip.onsetMs;
        const frames = clipFrames(samples);
        const events: AudioEvent[] = [];
        const stream = processor.open({ tracks: ['inbound'], onEvent: (e) => events.push(e) });
        const lead = frames.slice(0, 50);
        for (const f of lead) {
          stream.push(f);
          await sleep(5);
        }
        expect(processor.fallbackStats).toMatchObject({ starvations: 1, streamsMoved: 1, starving: true });
        expect(events[0]).toMatchObject({ type: 'speech.started', at: 0 });
        expect(events[1]).toMatchObject({ type: 'speech.stopped' });
        expect(events[1]!.at).toBeLessThanOrEqual(lead.at(-1)!.timestamp + 20);
        // New streams open on the event loop while the thread is starved.
        const other = processor.open({ tracks: ['inbound'], onEvent: () => undefined });
        for (const f of frames.slice(lead.length)) {
          stream.push(f);
          await sleep(1);
        }
        await stream.end(1000 + clip.durationMs);
        other.close();
        const turn = events.slice(2);
        expect(turn.map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
        expect(Math.abs(turn[0]!.at - onsetMs)).toBeLessThanOrEqual(60);
        expect(stream.stats.framesIn).toBe(frames.length);
        expect(stream.stats.movedToEventLoop).toBe(1);
        expect(processor.fallbackStats.streamsMoved).toBe(1);
      } finally {
        await processor.onApplicationShutdown();
      }
    });

    it('opens a stream on the event loop, and never in the thread, when the open itself finds the thread starved', async () => {
      const processor = new ThreadedAudioProcessor({ workerFile: stalled, starvedAfterMs: 60 });
      await processor.onModuleInit();
      const posted: { type: string; id?: number }[] = [];
      const worker = (processor as unknown as { worker: { postMessage(m: { type: string; id?: number }): void } })
        .worker;
      const post = worker.postMessage.bind(worker);
      worker.postMessage = (m, ...rest: []) => {
        posted.push(m);
        post(m, ...rest);
      };
      try {
        const silence = new Uint8Array(160).fill(0xff);
        const frame = (seq: number): AudioFrame => ({
          sequenceNumber: seq,
          track: 'inbound',
          timestamp: (seq - 2) * 20,
          payload: silence,
        });
        const first = processor.open({ tracks: ['inbound'], onEvent: () => undefined });
        first.push(frame(2));
        await sleep(30); // the thread takes that batch, then stalls
        first.push(frame(3));
        await sleep(30); // this batch goes out, and is never taken
        await sleep(100); // past starvedAfterMs, with nothing pushed since: no flush has looked yet
        first.push(frame(4));
        // The open flushes the pending frame and finds the thread starved.
        const second = processor.open({ tracks: ['inbound'], onEvent: () => undefined });
        expect(processor.fallbackStats).toMatchObject({ starvations: 1, starving: true });
        expect(posted.filter((m) => m.type === 'open').map((m) => m.id)).toEqual([1]);
        second.close();
        first.close();
      } finally {
        await processor.onApplicationShutdown();
      }
    });

    it('moves streams back to the thread, between turns, once it has kept up for 1 s after a starved spell', async () => {
      const processor = new ThreadedAudioProcessor({ workerFile: hiccup, starvedAfterMs: 100 });
      await processor.onModuleInit();
      try {
        const silence = new Uint8Array(160).fill(0xff);
        const stream = processor.open({ tracks: ['inbound'], onEvent: () => undefined });
        let seq = 2;
        const pushFor = async (ms: number) => {
          const until = performance.now() + ms;
          while (performance.now() < until) {
            stream.push({ sequenceNumber: seq, track: 'inbound', timestamp: (seq - 2) * 20, payload: silence });
            seq += 1;
            await sleep(5);
          }
        };
        await pushFor(600);
        expect(processor.fallbackStats).toMatchObject({ starvations: 1, streamsMoved: 1, streamsBack: 0 });
        await pushFor(500);
        // Caught up (at about 420 ms), but not for 1 s yet.
        expect(processor.fallbackStats).toMatchObject({ starving: false, streamsBack: 0 });
        await pushFor(1000);
        expect(processor.fallbackStats).toEqual({ starvations: 1, streamsMoved: 1, streamsBack: 1, starving: false });
        await stream.end((seq - 2) * 20);
        expect(stream.stats.movedToEventLoop).toBe(1);
      } finally {
        await processor.onApplicationShutdown();
      }
    });

    it('moves every stream to the event loop for good when the thread dies', async () => {
      const processor = new ThreadedAudioProcessor({ workerFile: dying });
      await processor.onModuleInit();
      try {
        const clip = labelledClip('s1_clean');
        const { events } = await play(processor, clipFrames(clip.samples));
        expect(events.map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
        expect(processor.fallbackStats).toMatchObject({ streamsMoved: 1, starving: true });
        const later = await play(processor, clipFrames(clip.samples));
        expect(later.events.map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
      } finally {
        await processor.onApplicationShutdown();
      }
    });
  });

  it('is what the media module gets with VAD_THREAD=analysis; Nest starts the thread at init and stops it at close, leaving no handle', async () => {
    const handles = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate' || r === 'MessagePort')
        .length;
    await sleep(100); // the timers of earlier tests' streams run out
    const before = handles();
    const moduleRef = await Test.createTestingModule({
      providers: [{ provide: AUDIO_PROCESSOR, useFactory: () => createDefaultAudioProcessor('analysis') }],
    }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    const processor = app.get<AudioProcessor>(AUDIO_PROCESSOR);
    expect(processor).toBeInstanceOf(ThreadedAudioProcessor);
    const stream: AudioStream = processor.open({ tracks: ['inbound'], onEvent: () => undefined });
    for (const f of clipFrames(labelledClip('s1_clean').samples).slice(0, 50)) stream.push(f);
    await app.close();
    // Timers of other code come and go: none of ours may stay (a re-armed flush timer would keep the count up).
    const start = performance.now();
    while (handles() > before && performance.now() - start < 1000) await sleep(20);
    expect(handles()).toBeLessThanOrEqual(before);
    expect(() => processor.open({ tracks: ['inbound'], onEvent: () => undefined })).toThrow('shut down');
  });

  it('rejects nonsense options at construction', () => {
    expect(() => new ThreadedAudioProcessor({ flushIntervalMs: 0 })).toThrow('flushIntervalMs');
    expect(() => new ThreadedAudioProcessor({ flushIntervalMs: 20, starvedAfterMs: 10 })).toThrow('starvedAfterMs');
    expect(() => new ThreadedAudioProcessor({ maxBatch: 0 })).toThrow('maxBatch');
  });
});
