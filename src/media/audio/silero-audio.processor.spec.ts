import v8 from 'node:v8';
import vm from 'node:vm';
import { Test } from '@nestjs/testing';
import type { AudioEvent, AudioFrame, AudioProcessor } from './audio-processor.interface.js';
import { AUDIO_PROCESSOR } from './audio-processor.interface.js';
import { resolveAudioProcessorOptions, type SileroAudioProcessorOptions } from './audio-processor.options.js';
import { SileroAudioProcessor } from './silero-audio.processor.js';
import type { SileroAudioStream } from './silero-audio.stream.js';
import { clipFrames, playFrames } from '../../../test/support/audio/clip-frames.js';
import { labelledClip, type LabelledClip } from '../../../test/support/audio/labelled-clip.js';

const SPEECH = ['s1_clean', 's1_white_snr20', 's1_white_snr10', 's1_pink_snr20', 's1_pink_snr10'].flatMap((n) => [
  n,
  n.replace('s1', 's2'),
]);
const CLEAN = ['s1_clean', 's2_clean'];

let processor: SileroAudioProcessor;
beforeAll(async () => {
  processor = await SileroAudioProcessor.create();
});
afterAll(async () => {
  await processor.onApplicationShutdown();
});

async function play(clip: LabelledClip, frames: AudioFrame[] = clipFrames(clip.samples)) {
  return playFrames(processor, frames);
}

/** Clip cut to start `leadMs` before its labelled onset (a noisy start with next to no lead-in). */
function trimmed(clip: LabelledClip, leadMs: number): LabelledClip {
  const from = (clip.onsetMs - leadMs) * 8;
  return {
    ...clip,
    samples: clip.samples.subarray(from),
    onsetMs: leadMs,
    endMs: clip.endMs - (clip.onsetMs - leadMs),
  };
}

describe(SileroAudioProcessor.name, () => {
  describe('on the labelled clips (20 ms frames through the public API)', () => {
    const results = new Map<string, AudioEvent[]>();
    beforeAll(async () => {
      for (const name of SPEECH) results.set(name, (await play(labelledClip(name))).events);
    });

    it.each(SPEECH)(
      '%s: one turn, dated within 60 ms of the labelled onset and reported within 160 ms of it',
      (name) => {
        const clip = labelledClip(name);
        const events = results.get(name)!;
        expect(events.map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
        const [start, stop] = events as [AudioEvent, AudioEvent];
        expect(start.track).toBe('inbound');
        expect(Math.abs(start.at - clip.onsetMs)).toBeLessThanOrEqual(60);
        expect(start.detectedAt - clip.onsetMs).toBeLessThanOrEqual(160);
        expect(start.detectedAt).toBeGreaterThanOrEqual(start.at);
        // The turn ends after the 600 ms hangover, dated back to the last speech.
        expect(stop.detectedAt - stop.at).toBeGreaterThanOrEqual(600);
        // Noisy clips: the end is buried in noise (labels come from the clean sentence); measured: 40-150 ms early.
        expect(Math.abs(stop.at - clip.endMs)).toBeLessThanOrEqual(CLEAN.includes(name) ? 60 : 160);
      },
    );

    it.each(['only_white', 'only_pink', 'only_silence'])('%s: no turn, and the model is never woken', async (name) => {
      const { events, stream } = await play(labelledClip(name));
      expect(events).toEqual([]);
      expect(stream.stats.modelWindows).toBe(0);
      expect(stream.stats.gatedWindows).toBe(125);
    });

    it('dtmf_0: heard as "0" at the tone, never as speech', async () => {
      const { events } = await play(labelledClip('dtmf_0'));
      expect(events).toEqual([
        { type: 'dtmf', track: 'inbound', digit: '0', at: expect.any(Number), detectedAt: expect.any(Number) },
      ]);
      const [e] = events as [AudioEvent];
      expect(e.at).toBeGreaterThanOrEqual(464);
      expect(e.detectedAt - e.at).toBeLessThanOrEqual(64);
    });

    it('dtmf_0 on the agent track (first stage alone, no model to reject it): a digit, still never a turn', async () => {
      const clip = labelledClip('dtmf_0');
      const { events, stream } = await playFrames(processor, clipFrames(clip.samples, { track: 'outbound' }), [
        'outbound',
      ]);
      expect(events.map((e) => (e.type === 'dtmf' ? e.digit : e.type))).toEqual(['0']);
      expect(stream.stats.modelWindows).toBe(0);
    });

    it('needs no quiet lead-in: noise from the first frame, 300 ms before speech', async () => {
      for (const name of ['s1_white_snr10', 's2_pink_snr10', 's1_pink_snr20']) {
        const clip = trimmed(labelledClip(name), 300);
        const { events } = await play(clip);
        expect(events.map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
        expect(Math.abs(events[0]!.at - clip.onsetMs)).toBeLessThanOrEqual(60);
        expect(events[0]!.detectedAt - clip.onsetMs).toBeLessThanOrEqual(160);
      }
    });

    it('merges sentences separated by a short pause into one turn, and splits them at a long one', async () => {
      const a = labelledClip('s1_clean');
      const b = labelledClip('s2_clean');
      const join = (gapMs: number) => {
        // s1 up to 200 ms after its speech, `gapMs` of digital silence, s2 from 100 ms before its speech.
        const head = a.samples.subarray(0, (a.endMs + 200) * 8);
        const tail = b.samples.subarray((b.onsetMs - 100) * 8);
        const x = new Uint8Array(head.length + gapMs * 8 + tail.length).fill(0xff);
        x.set(head, 0);
        x.set(tail, head.length + gapMs * 8);
        return x;
      };
      const short = await playFrames(processor, clipFrames(join(100)));
      expect(short.events.map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
      const long = await playFrames(processor, clipFrames(join(700)));
      expect(long.events.map((e) => e.type)).toEqual([
        'speech.started',
        'speech.stopped',
        'speech.started',
        'speech.stopped',
      ]);
    });
  });

  describe('reordering', () => {
    const clip = labelledClip('s1_pink_snr10');
    let inOrder: AudioEvent[];
    beforeAll(async () => {
      inOrder = (await play(clip)).events;
    });

    it('turns frames up to 60 ms late, swapped pairs and duplicates back into the same events', async () => {
      const frames = clipFrames(clip.samples);
      const shuffled: AudioFrame[] = [];
      for (let i = 0; i < frames.length; i += 8) {
        const g = frames.slice(i, i + 8);
        // In every 160 ms: frame 0 arrives after 1..3 (60 ms late), 4 and 5 swap, 6 is sent twice.
        shuffled.push(...[g[1], g[2], g[3], g[0], g[5], g[4], g[6], g[6], g[7]].filter((f): f is AudioFrame => !!f));
      }
      const { events, stream } = await play(clip, shuffled);
      expect(events).toEqual(inOrder);
      expect(shuffled.length - frames.length).toBe(52);
      expect(stream.stats).toMatchObject({ framesLate: 0, framesMissing: 0, framesDuplicate: 52, framesIn: 422 + 52 });
      expect(stream.stats.framesReordered).toBeGreaterThanOrEqual(100);
    });

    it('drops and counts frames later than 60 ms (the gap is skipped); the turn survives', async () => {
      const frames = clipFrames(clip.samples);
      // Frames 100 and 200 (inside the sentence) arrive 100 ms late.
      const late = [...frames];
      for (const i of [200, 100]) late.splice(i + 5, 0, late.splice(i, 1)[0]!);
      const { events, stream } = await play(clip, late);
      expect(stream.stats).toMatchObject({ framesLate: 2, framesMissing: 2, framesDuplicate: 0 });
      expect(events.map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
      expect(events[0]).toEqual(inOrder[0]);
    });
  });

  describe('lost audio', () => {
    it('fills a gap of lost frames on the stream clock without waking the model on the noise after it', async () => {
      const clip = labelledClip('only_white');
      const frames = clipFrames(clip.samples);
      frames.splice(50, 10); // 200 ms never arrive
      const { events, stream } = await play(clip, frames);
      expect(events).toEqual([]);
      expect(stream.stats.framesMissing).toBe(10);
      expect(stream.stats.modelWindows).toBe(0);
    });

    it('keeps a turn and its times across 100 ms lost inside the speech', async () => {
      const clip = labelledClip('s1_pink_snr20');
      const whole = (await play(clip)).events;
      const frames = clipFrames(clip.samples);
      frames.splice(150, 5);
      const { events, stream } = await play(clip, frames);
      expect(stream.stats.framesMissing).toBe(5);
      // Same turn, same dated start and end; only when the model let go after it may differ (its state saw the gap).
      expect(events.map((e) => [e.type, e.at])).toEqual(whole.map((e) => [e.type, e.at]));
      expect(events[0]).toEqual(whole[0]);
    });
  });

  describe('hostile input', () => {
    it('survives 64 KiB, empty and odd-sized payloads and out-of-range sequence numbers', async () => {
      const events: AudioEvent[] = [];
      const stream = processor.open({ tracks: ['inbound'], onEvent: (e) => events.push(e) });
      // 64 KiB of a sentence in one frame: 8 s of audio, about 180 windows that would need the model at once.
      const big = labelledClip('s1_clean').samples.slice(0, 64 * 1024);
      const push = (sequenceNumber: number, timestamp: number, payload: Uint8Array) =>
        stream.push({ sequenceNumber, track: 'inbound', timestamp, payload });
      push(2, 0, big);
      push(3, 8192, new Uint8Array(0));
      push(4, 8192, new Uint8Array(1).fill(0xff));
      push(5, 8192, new Uint8Array(161).fill(0xff));
      push(6, 9000, new Uint8Array(7).fill(0xff));
      push(Number.MAX_SAFE_INTEGER, 9000, new Uint8Array(160));
      push(8, 1e12, new Uint8Array(160));
      push(9, Number.NaN, new Uint8Array(160));
      await (stream as SileroAudioStream).settled();
      await stream.end(1e12);
      expect(stream.stats.framesIn).toBe(8);
      // 64 KiB = 256 windows at once: the model got its queue's worth, the first stage settled the rest.
      expect(stream.stats.modelWindows).toBeLessThanOrEqual(32);
      expect((stream as SileroAudioStream).stats.modelSkippedWindows).toBeGreaterThan(0);
      expect(events.every((e) => Number.isFinite(e.at) && Number.isFinite(e.detectedAt))).toBe(true);
    });

    it('keeps memory bounded whatever arrives: 64 KiB payloads, in and out of order, for a long time', async () => {
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc') as () => void;
      const stream = processor.open({ tracks: ['inbound', 'outbound'], onEvent: () => undefined });
      const big = new Uint8Array(64 * 1024).fill(0x7f);
      let seq = 2;
      const round = async () => {
        for (let i = 0; i < 50; i++) {
          // Out of order (every other frame skips ahead) and huge: 100 × 64 KiB = 6.4 MB of payload per round.
          const s = i % 2 ? seq + 1 : seq - 1;
          stream.push({
            sequenceNumber: Math.max(s, 2),
            track: i % 4 < 2 ? 'inbound' : 'outbound',
            timestamp: seq * 8192,
            payload: big,
          });
          seq += 2;
        }
        await (stream as SileroAudioStream).settled();
      };
      await round();
      gc();
      const before = process.memoryUsage().heapUsed;
      for (let r = 0; r < 10; r++) await round();
      gc();
      const grown = process.memoryUsage().heapUsed - before;
      stream.close();
      expect(stream.stats.framesIn).toBe(550);
      expect(grown).toBeLessThan(2 * 1024 * 1024);
    });
  });

  describe('tracks', () => {
    it('analyses a fork: caller through the model, agent through the first stage only, sequence numbers shared', async () => {
      const caller = labelledClip('s1_white_snr10');
      const agent = labelledClip('s2_clean');
      const a = clipFrames(caller.samples, { track: 'inbound', sequenceStep: 2 });
      const b = clipFrames(agent.samples, { track: 'outbound', firstSequence: 3, sequenceStep: 2 });
      const frames = a.flatMap((f, i) => (b[i] ? [f, b[i]] : [f]));
      const { events, stream } = await playFrames(processor, frames, ['inbound', 'outbound']);
      const of = (t: string) => events.filter((e) => e.track === t);
      expect(of('inbound').map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
      expect(of('outbound').map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
      expect(Math.abs(of('inbound')[0]!.at - caller.onsetMs)).toBeLessThanOrEqual(60);
      expect(Math.abs(of('outbound')[0]!.at - agent.onsetMs)).toBeLessThanOrEqual(60);
      expect(Math.abs(of('outbound')[1]!.at - agent.endMs)).toBeLessThanOrEqual(60);
      // The model saw only caller windows: fewer than the caller track has.
      expect(stream.stats.modelWindows).toBeLessThan(caller.samples.length / 256);
      expect(stream.stats).toMatchObject({ framesMissing: 0, framesLate: 0 });
    });

    it('can put the model on the agent track too (per-track option)', async () => {
      const both = await SileroAudioProcessor.create({ trackDetectors: { outbound: 'model' } });
      const clip = labelledClip('s2_clean');
      const { events, stream } = await playFrames(both, clipFrames(clip.samples, { track: 'outbound' }), ['outbound']);
      expect(events.map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
      expect(stream.stats.modelWindows).toBeGreaterThan(100);
      await both.onApplicationShutdown();
    });

    it('ignores frames of a track the stream did not announce (counted, not analysed)', async () => {
      const clip = labelledClip('s1_clean');
      const { events, stream } = await playFrames(processor, clipFrames(clip.samples, { track: 'outbound' }), [
        'inbound',
      ]);
      expect(events).toEqual([]);
      expect(stream.stats.framesIn).toBe(422);
      expect(stream.stats.modelWindows + stream.stats.gatedWindows).toBe(0);
    });
  });

  describe('lifecycle', () => {
    it('end() waits for inference in flight and closes the open turn; nothing is emitted after close()', async () => {
      const clip = labelledClip('s2_clean');
      const events: AudioEvent[] = [];
      const stream = processor.open({ tracks: ['inbound'], onEvent: (e) => events.push(e) });
      // Push the first 2 s without waiting (the sentence starts at 1.28 s): the model answers inside end().
      for (const f of clipFrames(clip.samples).slice(0, 100)) stream.push(f);
      expect(events).toEqual([]);
      expect(stream.stats.modelWindows).toBeGreaterThan(20);
      await stream.end(2000);
      expect(events.map((e) => [e.type, e.type === 'speech.stopped' ? e.detectedAt : 0])).toEqual([
        ['speech.started', 0],
        ['speech.stopped', 2000],
      ]);
      const after: AudioEvent[] = [];
      const closed = processor.open({ tracks: ['inbound'], onEvent: (e) => after.push(e) });
      for (const f of clipFrames(clip.samples).slice(0, 150)) closed.push(f);
      closed.close();
      closed.close();
      await processor.whenIdle();
      await closed.end(3000);
      expect(after).toEqual([]);
    });

    it('as a Nest provider (on the event loop): loads the model at init and frees it at close, leaving no handle', async () => {
      const immediates = () =>
        process.getActiveResourcesInfo().filter((r) => r === 'Immediate' || r === 'Timeout').length;
      const before = immediates();
      const moduleRef = await Test.createTestingModule({
        providers: [{ provide: AUDIO_PROCESSOR, useFactory: () => new SileroAudioProcessor() }],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      await app.init();
      const audio = app.get<AudioProcessor>(AUDIO_PROCESSOR);
      expect(audio).toBeInstanceOf(SileroAudioProcessor);
      const events: AudioEvent[] = [];
      const stream = audio.open({ tracks: ['inbound'], onEvent: (e) => events.push(e) });
      for (const f of clipFrames(labelledClip('s1_clean').samples).slice(0, 80)) stream.push(f);
      await app.close();
      // None of ours may stay (timers of earlier tests may run out meanwhile).
      expect(immediates()).toBeLessThanOrEqual(before);
      expect((audio as SileroAudioProcessor).openStreams).toBe(0);
      expect(() => audio.open({ tracks: ['inbound'], onEvent: () => undefined })).toThrow('destroyed');
    });

    it('rejects nonsense options at construction', () => {
      expect(() => new SileroAudioProcessor({ turns: { hangoverMs: 0 } })).toThrow('hangoverMs');
      expect(() => new SileroAudioProcessor({ trackDetectors: { inbound: 'psychic' as 'model' } })).toThrow(
        'trackDetectors.inbound',
      );
      expect(() => new SileroAudioProcessor({ maxQueuedWindows: 2, preRollWindows: 3 })).toThrow('maxQueuedWindows');
      expect(() => new SileroAudioProcessor({ batchIntervalMs: 500 })).toThrow('batchIntervalMs must be in [0, 200]');
    });

    it('batches up to 32 windows per run with no wait by default, and lets either be set', () => {
      const pick = (o: SileroAudioProcessorOptions) => {
        const { maxBatch, batchIntervalMs } = resolveAudioProcessorOptions(o);
        return { maxBatch, batchIntervalMs };
      };
      expect(pick({})).toEqual({ maxBatch: 32, batchIntervalMs: 0 });
      expect(pick({ batchIntervalMs: 20, maxBatch: 128 })).toEqual({ maxBatch: 128, batchIntervalMs: 20 });
      expect(pick({ batchIntervalMs: 10 })).toEqual({ maxBatch: 32, batchIntervalMs: 10 });
    });
  });
});
