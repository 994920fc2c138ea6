import { jest } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import type { MediaTrack } from '../../protocol/twilio-media.js';
import { AUDIO_PROCESSOR, type AudioEvent, type AudioFrame, type AudioProcessor } from './audio-processor.interface.js';
import { clipFrames, playFrames } from '../../../test/support/audio/clip-frames.js';
import { builtAnalysisWorker } from '../../../test/support/audio/analysis-worker.js';
import { FakeAnalysisThread } from '../../../test/support/audio/fake-analysis-thread.js';
import { labelledClip } from '../../../test/support/audio/labelled-clip.js';
import { SileroAudioProcessor } from './silero-audio.processor.js';
import { ThreadedAudioProcessor } from './threaded-audio.processor.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The real thread, from `dist/`. Starvation is the OS scheduler's business, not these tests': the patience is long
 * enough that a slow box never moves a stream here (the fallback has its own, deterministic tests below).
 */
function realProcessor(): ThreadedAudioProcessor {
  return new ThreadedAudioProcessor({ workerUrl: builtAnalysisWorker(), starvedAfterMs: 600_000 });
}

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

/** The scheduling policy of one of this process's threads (`/proc/<pid>/task/<tid>/stat`, field 41; 0 = SCHED_OTHER). */
function policyOf(tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[41 - 3]);
}

describe(ThreadedAudioProcessor.name, () => {
  describe('with the analysis thread (the built worker from dist/)', () => {
    let processor: ThreadedAudioProcessor;
    beforeAll(async () => {
      processor = realProcessor();
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
      // The thread handles messages in order: once a later stream has ended there, the closed one had its chance.
      const later = await play(processor, clipFrames(labelledClip('dtmf_0').samples));
      expect(later.events.map((e) => e.type)).toEqual(['dtmf']);
      expect(events).toEqual([]);
      await expect(stream.end(5000)).resolves.toBeUndefined();
    });
  });

  it('as a Nest provider: starts the thread at init and stops it at close, leaving no handle', async () => {
    const handles = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate' || r === 'MessagePort')
        .length;
    const before = handles();
    const moduleRef = await Test.createTestingModule({
      providers: [{ provide: AUDIO_PROCESSOR, useFactory: realProcessor }],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const processor = app.get<AudioProcessor>(AUDIO_PROCESSOR);
    const stream = processor.open({ tracks: ['inbound'], onEvent: () => undefined });
    for (const f of clipFrames(labelledClip('s1_clean').samples).slice(0, 50)) stream.push(f);
    await app.close();
    // Handles close asynchronously: wait for ours to go (a re-armed flush timer would keep the count up for good).
    for (let i = 0; i < 50 && handles() > before; i++) await sleep(20);
    expect(handles()).toBeLessThanOrEqual(before);
    expect(() => processor.open({ tracks: ['inbound'], onEvent: () => undefined })).toThrow('shut down');
  });

  describe('thread priority', () => {
    it('leaves the thread at normal priority unless asked', async () => {
      const processor = realProcessor();
      await processor.warmUp();
      expect(processor.priority).toBe('normal');
      await processor.onApplicationShutdown();
    });

    (process.platform === 'linux' ? it : it.skip)(
      "with threadPriority 'idle', lowers its own thread only: the event loop and the process keep theirs",
      async () => {
        const mainPolicy = policyOf(process.pid);
        const mainNice = getPriority();
        const processor = new ThreadedAudioProcessor({ workerUrl: builtAnalysisWorker(), threadPriority: 'idle' });
        await processor.warmUp();
        try {
          // `chrt` gives SCHED_IDLE; without it the thread settles for nice 19.
          expect(['idle', 'nice']).toContain(processor.priority);
          expect(policyOf(process.pid)).toBe(mainPolicy);
          expect(getPriority()).toBe(mainNice);
        } finally {
          await processor.onApplicationShutdown();
        }
      },
    );
  });

  describe('fallback to the event loop (a stand-in thread, fake clock)', () => {
    let thread: FakeAnalysisThread;
    let local: SileroAudioProcessor;
    let processor: ThreadedAudioProcessor;
    // Real immediates: the event loop's model (onnxruntime) runs on them.
    beforeEach(async () => {
      jest.useFakeTimers({ doNotFake: ['setImmediate', 'clearImmediate', 'nextTick', 'queueMicrotask'] });
      thread = new FakeAnalysisThread();
      local = new SileroAudioProcessor();
      processor = new ThreadedAudioProcessor({}, { spawn: thread.spawn, fallback: local });
      await processor.onModuleInit();
    });
    afterEach(async () => {
      await processor.onApplicationShutdown();
      jest.useRealTimers();
    });

    /** Pushes frames to a stream on the event loop, letting the model answer after each, as real pace would. */
    async function pushSettled(stream: { push(f: AudioFrame): void }, frames: readonly AudioFrame[]): Promise<void> {
      for (const f of frames) {
        stream.push(f);
        await local.whenIdle();
      }
    }

    /** Pushes frames at real pace on the fake clock (the batch timer fires as it would). */
    function pushPaced(stream: { push(f: AudioFrame): void }, frames: readonly AudioFrame[]): void {
      for (const f of frames) {
        stream.push(f);
        jest.advanceTimersByTime(20);
      }
    }

    /** One second of silence (mu-law 0xff), then the clip: a stream that moves during the silence. */
    function silenceThen(name: string) {
      const clip = labelledClip(name);
      const samples = new Uint8Array(8000 + clip.samples.length).fill(0xff);
      samples.set(clip.samples, 8000);
      return { frames: clipFrames(samples), onsetMs: 1000 + clip.onsetMs, endMs: 1000 + clip.durationMs };
    }

    it('moves open streams once a batch is left untaken for starvedAfterMs (1 s): the open turn closes at the last frame, analysis goes on there', async () => {
      const { frames, onsetMs, endMs } = silenceThen('s1_clean');
      const events: AudioEvent[] = [];
      const stream = processor.open({ tracks: ['inbound'], onEvent: (e) => events.push(e) });
      pushPaced(stream, frames.slice(0, 1));
      // The thread takes the first batch and reports a turn starting, then never takes another.
      thread.takeAll([
        [thread.sent('open')[0]!.id, { type: 'speech.started', track: 'inbound', at: 0, detectedAt: 0 }],
      ]);
      pushPaced(stream, frames.slice(1, 50));
      expect(processor.fallbackStats).toMatchObject({ starvations: 0, starving: false });
      const lead = frames.slice(0, 60);
      pushPaced(stream, lead.slice(50));
      expect(processor.fallbackStats).toMatchObject({ starvations: 1, streamsMoved: 1, starving: true });
      expect(events[0]).toMatchObject({ type: 'speech.started', at: 0 });
      expect(events[1]).toMatchObject({ type: 'speech.stopped' });
      expect(events[1]!.at).toBeLessThanOrEqual(lead.at(-1)!.timestamp + 20);
      expect(thread.sent('close')).toHaveLength(1);

      // New streams open on the event loop while the thread is starved: the thread never hears of them.
      const other = processor.open({ tracks: ['inbound'], onEvent: () => undefined });
      expect(thread.sent('open')).toHaveLength(1);
      await pushSettled(stream, frames.slice(lead.length));
      await stream.end(endMs);
      other.close();
      const turn = events.slice(2);
      expect(turn.map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
      expect(Math.abs(turn[0]!.at - onsetMs)).toBeLessThanOrEqual(60);
      expect(stream.stats.framesIn).toBe(frames.length);
      expect(stream.stats.modelWindows).toBeGreaterThan(0); // the event loop's own model, loaded on this first need
      expect(stream.stats.movedToEventLoop).toBe(1);
      expect(processor.fallbackStats.streamsMoved).toBe(1);
    });

    it('opens a stream on the event loop, and never in the thread, when the open itself finds the thread starved', () => {
      const silence = new Uint8Array(160).fill(0xff);
      const frame = (seq: number): AudioFrame => ({
        sequenceNumber: seq,
        track: 'inbound',
        timestamp: (seq - 2) * 20,
        payload: silence,
      });
      const first = processor.open({ tracks: ['inbound'], onEvent: () => undefined });
      pushPaced(first, [frame(2)]);
      thread.takeAll();
      pushPaced(first, [frame(3)]); // this batch goes out, and is never taken
      jest.advanceTimersByTime(1100); // past starvedAfterMs, with nothing pushed since: no flush has looked yet
      first.push(frame(4));
      // The open flushes the pending frame and finds the thread starved.
      const second = processor.open({ tracks: ['inbound'], onEvent: () => undefined });
      expect(processor.fallbackStats).toMatchObject({ starvations: 1, starving: true });
      expect(thread.sent('open').map((m) => m.id)).toEqual([1]);
      second.close();
      first.close();
    });

    it('moves streams back to the thread, between turns, once it has kept up for 1 s after a starved spell', async () => {
      const silence = new Uint8Array(160).fill(0xff);
      const stream = processor.open({ tracks: ['inbound'], onEvent: () => undefined });
      let seq = 2;
      const pushFor = (ms: number) => {
        const frames: AudioFrame[] = [];
        for (let t = 0; t < ms; t += 20) {
          frames.push({ sequenceNumber: seq, track: 'inbound', timestamp: (seq - 2) * 20, payload: silence });
          seq += 1;
        }
        pushPaced(stream, frames);
      };
      pushFor(1200); // the thread takes nothing
      expect(processor.fallbackStats).toMatchObject({ starvations: 1, streamsMoved: 1, streamsBack: 0 });
      thread.takeAll(); // it catches up
      expect(processor.fallbackStats.starving).toBe(false);
      pushFor(500);
      thread.report();
      expect(processor.fallbackStats.streamsBack).toBe(0); // not for 1 s yet
      pushFor(600);
      thread.report();
      expect(processor.fallbackStats).toEqual({ starvations: 1, streamsMoved: 1, streamsBack: 1, starving: false });
      expect(thread.sent('open').map((m) => m.id)).toEqual([1, 1]); // a fresh stream in the thread
      pushFor(100);
      const ended = stream.end((seq - 2) * 20);
      thread.takeAll();
      thread.endStreams();
      await ended;
      expect(stream.stats.movedToEventLoop).toBe(1);
    });

    it('moves every stream to the event loop for good when the thread dies, with the frames not yet sent', async () => {
      const { frames, onsetMs, endMs } = silenceThen('s1_clean');
      const events: AudioEvent[] = [];
      const stream = processor.open({ tracks: ['inbound'], onEvent: (e) => events.push(e) });
      pushPaced(stream, frames.slice(0, 10));
      stream.push(frames[10]!); // still in the batch when the thread dies
      thread.die(3);
      expect(processor.fallbackStats).toMatchObject({ streamsMoved: 1, starving: true });
      await pushSettled(stream, frames.slice(11));
      await stream.end(endMs);
      expect(events.map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
      expect(Math.abs(events[0]!.at - onsetMs)).toBeLessThanOrEqual(60);
      expect(stream.stats.framesIn).toBe(frames.length);

      const later = await playFrames(processor, clipFrames(labelledClip('s1_clean').samples), ['inbound'], () =>
        local.whenIdle(),
      );
      expect(later.events.map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
      expect(thread.sent('open')).toHaveLength(1);
    });
  });

  it('rejects nonsense options at construction', () => {
    expect(() => new ThreadedAudioProcessor({ flushIntervalMs: 0 })).toThrow('flushIntervalMs');
    expect(() => new ThreadedAudioProcessor({ flushIntervalMs: 20, starvedAfterMs: 10 })).toThrow('starvedAfterMs');
    expect(() => new ThreadedAudioProcessor({ maxBatch: 0 })).toThrow('maxBatch');
    expect(() => new ThreadedAudioProcessor({ threadPriority: 'realtime' as 'idle' })).toThrow('threadPriority');
  });

  it("batches in the thread (128 windows, 20 ms) and on the event loop as SileroAudioProcessor's defaults", () => {
    const thread = new FakeAnalysisThread();
    void new ThreadedAudioProcessor({}, { spawn: thread.spawn }).warmUp();
    expect(thread.data?.processor).toMatchObject({ maxBatch: 128, batchIntervalMs: 20 });
    expect(thread.data?.lowerPriority).toBe(false);
    const given = new FakeAnalysisThread();
    void new ThreadedAudioProcessor({ maxBatch: 16, batchIntervalMs: 0 }, { spawn: given.spawn }).warmUp();
    expect(given.data?.processor).toMatchObject({ maxBatch: 16, batchIntervalMs: 0 });
  });
});
