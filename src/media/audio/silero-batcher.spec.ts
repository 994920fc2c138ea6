import { jest } from '@jest/globals';
import { MULAW_TO_FLOAT } from './mulaw.js';
import { SileroBatcher, type SileroClient } from './silero-batcher.js';
import {
  SILERO_CONTEXT,
  SILERO_INPUT,
  SILERO_STATE,
  SILERO_WINDOW,
  SileroModel,
  type SileroRunner,
} from './silero-model.js';
import { labelledClip } from '../../../test/support/audio/labelled-clip.js';

/** A client that queues consecutive windows of a clip and records the probabilities it gets back. */
class ClipClient implements SileroClient {
  readonly modelState = new Float32Array(SILERO_STATE);
  readonly probs: number[] = [];
  failed = 0;
  modelClosed = false;
  private next = 0;
  private readonly x: Float32Array;

  constructor(
    name: string,
    private windows: number,
  ) {
    const { samples } = labelledClip(name);
    this.x = Float32Array.from(samples, (b) => MULAW_TO_FLOAT[b]!);
  }

  get modelQueued(): number {
    return this.windows - this.next;
  }

  copyModelWindow(dst: Float32Array, offset: number): boolean {
    const start = this.next * SILERO_WINDOW - SILERO_CONTEXT;
    for (let i = 0; i < SILERO_INPUT; i++) dst[offset + i] = start + i >= 0 ? this.x[start + i]! : 0;
    return false;
  }

  modelResult(prob: number): void {
    this.probs.push(prob);
    this.next++;
  }

  modelFailed(): void {
    this.failed++;
    this.next++;
  }
}

/** The same windows through the model one by one (batch 1). */
async function alone(name: string, windows: number): Promise<number[]> {
  const model = await SileroModel.load();
  const client = new ClipClient(name, windows);
  const input = new Float32Array(SILERO_INPUT);
  for (let w = 0; w < windows; w++) {
    client.copyModelWindow(input, 0);
    const out = await model.run(input, client.modelState, 1);
    client.modelState.set(out.state);
    client.modelResult(out.probs[0]!);
  }
  await model.release();
  return client.probs;
}

/** A model that answers at once and records each run's batch size and start time. */
class RecordingRunner implements SileroRunner {
  readonly runs: { batch: number; at: number }[] = [];
  readonly load = (): Promise<SileroRunner> => Promise.resolve(this);

  run(_input: Float32Array, state: Float32Array, batch: number): Promise<{ probs: Float32Array; state: Float32Array }> {
    this.runs.push({ batch, at: performance.now() });
    return Promise.resolve({ probs: new Float32Array(batch).fill(0.2), state: state.slice() });
  }

  release(): Promise<void> {
    return Promise.resolve();
  }
}

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe(SileroBatcher.name, () => {
  const onError = jest.fn<(e: Error) => void>();
  afterEach(() => onError.mockClear());

  it('runs every active stream in one batch and gives each exactly what it would get alone', async () => {
    const batcher = new SileroBatcher({ maxBatch: 8, onError });
    const clients = [
      new ClipClient('s1_clean', 60),
      new ClipClient('s2_pink_snr10', 60),
      new ClipClient('only_white', 60),
    ];
    for (const c of clients) batcher.submit(c);
    await batcher.whenIdle();
    expect(batcher.stats).toEqual({ runs: 60, windows: 180, largestBatch: 3 });
    expect(clients[0]!.probs).toHaveLength(60);
    for (const [c, name] of [
      [clients[0]!, 's1_clean'],
      [clients[1]!, 's2_pink_snr10'],
      [clients[2]!, 'only_white'],
    ] as const) {
      const expected = await alone(name, 60);
      c.probs.forEach((p, i) => expect(Math.abs(p - expected[i]!)).toBeLessThan(1e-4));
    }
    // The clean sentence starts at 1.18 s (window 36): the model hears it, and nothing before it.
    expect(Math.max(...clients[0]!.probs.slice(0, 30))).toBeLessThan(0.1);
    expect(Math.max(...clients[0]!.probs.slice(36, 60))).toBeGreaterThan(0.9);
    await batcher.dispose();
    expect(onError).not.toHaveBeenCalled();
  });

  it('loads its model on the first run, not before, and only once', async () => {
    const runner = new RecordingRunner();
    const load = jest.fn(runner.load);
    const batcher = new SileroBatcher({ maxBatch: 4, onError }, load);
    expect(load).not.toHaveBeenCalled();
    batcher.submit(new ClipClient('s1_clean', 2));
    await batcher.whenIdle();
    batcher.submit(new ClipClient('s1_clean', 2));
    await batcher.whenIdle();
    expect(load).toHaveBeenCalledTimes(1);
    expect(runner.runs.length).toBeGreaterThan(0);
    await batcher.dispose();
  });

  it('serves more streams than maxBatch round-robin, and skips closed ones', async () => {
    const batcher = new SileroBatcher({ maxBatch: 2, onError });
    const clients = [0, 1, 2].map(() => new ClipClient('s1_clean', 4));
    const closed = new ClipClient('s1_clean', 4);
    closed.modelClosed = true;
    for (const c of [...clients, closed]) batcher.submit(c);
    await batcher.whenIdle();
    expect(batcher.stats.largestBatch).toBe(2);
    expect(batcher.stats.windows).toBe(12);
    expect(clients.map((c) => c.probs.length)).toEqual([4, 4, 4]);
    expect(closed.probs).toEqual([]);
    await batcher.dispose();
  });

  it('with minRunIntervalMs, gathers the windows that complete within it into one run, unless a full batch waits', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    try {
      const runner = new RecordingRunner();
      const batcher = new SileroBatcher({ maxBatch: 3, minRunIntervalMs: 300, onError }, runner.load);
      const one = () => new ClipClient('s1_clean', 1);
      const batches = () => runner.runs.map((r) => r.batch);
      batcher.submit(one()); // no run before it: served on the next tick
      await jest.advanceTimersByTimeAsync(0);
      expect(batches()).toEqual([1]);
      batcher.submit(one());
      await jest.advanceTimersByTimeAsync(20);
      batcher.submit(one());
      await jest.advanceTimersByTimeAsync(279);
      expect(batches()).toEqual([1]); // both wait for the interval
      await jest.advanceTimersByTimeAsync(1);
      expect(batches()).toEqual([1, 2]);
      expect(runner.runs[1]!.at - runner.runs[0]!.at).toBe(300);

      // Three tracks waiting fill the batch: no waiting for the interval.
      const full = [one(), one(), one()];
      for (const c of full) batcher.submit(c);
      await jest.advanceTimersByTimeAsync(0);
      expect(batches()).toEqual([1, 2, 3]);
      expect(runner.runs[2]!.at).toBe(runner.runs[1]!.at);
      expect(full.map((c) => c.probs)).toEqual([[0.2], [0.2], [0.2]].map((p) => p.map(Math.fround)));
      await batcher.dispose();
    } finally {
      jest.useRealTimers();
    }
  });

  it('on dispose: cancels a run waiting for the interval and fails its windows over', async () => {
    const runner = new RecordingRunner();
    const batcher = new SileroBatcher({ maxBatch: 4, minRunIntervalMs: 10_000, onError }, runner.load);
    batcher.submit(new ClipClient('s1_clean', 1));
    await batcher.whenIdle();
    const before = timeouts();
    const waiting = new ClipClient('s1_clean', 2);
    batcher.submit(waiting);
    expect(timeouts()).toBe(before + 1);
    await batcher.dispose();
    expect(timeouts()).toBe(before);
    expect([runner.runs.length, waiting.failed]).toEqual([1, 2]);
  });

  it('fails the windows over (and reports once) when the model cannot load', async () => {
    const failing = (): Promise<SileroRunner> => Promise.reject(new Error('no such model'));
    const batcher = new SileroBatcher({ maxBatch: 4, onError }, failing);
    const a = new ClipClient('s1_clean', 3);
    batcher.submit(a);
    await batcher.whenIdle();
    const b = new ClipClient('s1_clean', 2);
    batcher.submit(b);
    await batcher.whenIdle();
    expect([a.failed, b.failed, a.probs.length]).toEqual([3, 2, 0]);
    expect(onError).toHaveBeenCalledTimes(1);
    await expect(batcher.warmUp()).rejects.toThrow('no such model');
    await batcher.dispose();
  });

  it('on dispose: cancels the pending tick, fails queued windows over, releases the model once', async () => {
    const model = await SileroModel.load();
    const release = jest.spyOn(model, 'release');
    const batcher = new SileroBatcher({ maxBatch: 4, onError }, () => Promise.resolve(model));
    await batcher.warmUp();
    const c = new ClipClient('s1_clean', 5);
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Immediate').length;
    batcher.submit(c);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Immediate').length).toBe(before + 1);
    await batcher.dispose();
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Immediate').length).toBe(before);
    expect(c.failed).toBe(5);
    expect(release).toHaveBeenCalledTimes(1);
    await batcher.dispose();
    expect(release).toHaveBeenCalledTimes(1);
    batcher.submit(new ClipClient('s1_clean', 1)); // after dispose: failed over at once, nothing scheduled
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Immediate').length).toBe(before);
  });
});
