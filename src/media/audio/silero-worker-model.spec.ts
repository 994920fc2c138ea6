import { readdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { Worker as NodeWorker, type Worker } from 'node:worker_threads';
import { policyFromStat } from '../../common/helper-threads.js';
import { SILERO_INPUT, SILERO_STATE, SileroModel, defaultSileroModelPath } from './silero-model.js';
import { SileroWorkerModel } from './silero-worker-model.js';

/** A deterministic batch: a different tone and level per row, so rows cannot be mixed up unnoticed. */
function batchOf(n: number): { input: Float32Array; state: Float32Array } {
  const input = new Float32Array(n * SILERO_INPUT);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < SILERO_INPUT; i++) input[b * SILERO_INPUT + i] = 0.02 * (b + 1) * Math.sin((i * (b + 3)) / 7);
  }
  const state = new Float32Array(n * SILERO_STATE).map((_, i) => ((i % 17) - 8) / 100);
  return { input, state };
}

/** Threads of this process under Linux's SCHED_IDLE policy (5). */
function idleThreads(): Set<string> {
  const idle = new Set<string>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      if (policyFromStat(stat) === 5) idle.add(tid);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return idle;
}

/**
 * Starts a normal-priority thread per core that spins until the returned function is called (which waits for them
 * to exit): meanwhile an idle-priority thread of this process gets no CPU.
 */
async function occupyEveryCore(): Promise<() => Promise<void>> {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const spinners = Array.from(
    { length: availableParallelism() },
    () =>
      new NodeWorker(
        'const flag = new Int32Array(require("node:worker_threads").workerData); while (Atomics.load(flag, 0) === 0);',
        {
          eval: true,
          workerData: stop.buffer,
        },
      ),
  );
  await Promise.all(spinners.map((w) => once(w, 'online')));
  return async () => {
    Atomics.store(stop, 0, 1);
    await Promise.all(spinners.map((w) => once(w, 'exit')));
  };
}

describe(SileroWorkerModel.name, () => {
  let main: SileroModel;
  beforeAll(async () => {
    main = await SileroModel.load();
  });
  afterAll(() => main.release());

  it('computes what the model on the main thread computes, and grows its buffers for a bigger batch', async () => {
    const worker = await SileroWorkerModel.load(defaultSileroModelPath());
    try {
      for (const n of [3, 100]) {
        const { input, state } = batchOf(n);
        const want = await main.run(input, state, n);
        const wantProbs = Array.from(want.probs);
        const wantState = Array.from(want.state);
        const got = await worker.run(input, state, n);
        expect(Array.from(got.probs)).toEqual(wantProbs);
        expect(Array.from(got.state)).toEqual(wantState);
      }
    } finally {
      await worker.release();
    }
  });

  (process.platform === 'linux' ? it : it.skip)(
    'runs its thread at idle priority, so that it never preempts the event loop',
    async () => {
      // By thread id: a thread of an earlier test may still be on its way out.
      const before = idleThreads();
      const worker = await SileroWorkerModel.load(defaultSileroModelPath());
      let mine: string[];
      try {
        expect(worker.priority).toBe('idle');
        mine = [...idleThreads()].filter((tid) => !before.has(tid));
        expect(mine).toHaveLength(1);
      } finally {
        await worker.release();
      }
      // The OS thread ends a moment after the worker's exit event.
      const deadline = Date.now() + 2000;
      while (idleThreads().has(mine[0]!) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(idleThreads().has(mine[0]!)).toBe(false);
    },
  );

  it('runs a batch the worker leaves unanswered on the calling thread, with the same result, until the worker answers', async () => {
    // 1 ms is far less than 100 windows take: every batch counts as starved.
    const worker = await SileroWorkerModel.load(defaultSileroModelPath(), { starvedAfterMs: 1 });
    expect(worker.priority).toBe('idle');
    const { input, state } = batchOf(100);
    const want = await main.run(input, state, 100);
    const [wantProbs, wantState] = [Array.from(want.probs), Array.from(want.state)];
    // Starve the worker for real: normal-priority threads on every core leave an idle-priority thread no CPU, so it
    // stays on the batch it was given (otherwise it may answer while this thread runs the batch too).
    const freeCores = await occupyEveryCore();
    try {
      const first = await worker.run(input, state, 100);
      expect([Array.from(first.probs), Array.from(first.state)]).toEqual([wantProbs, wantState]);
      expect(worker.fallbackRuns).toBe(1);
      expect(worker.starved).toBe(true);
      // The worker is still on the batch it was given: the next one does not wait for it. (100 windows run on this
      // thread in slices of 32; the rows still come out as one batch of 100 gives them, states included.)
      const second = await worker.run(input, state, 100);
      expect([Array.from(second.probs), Array.from(second.state)]).toEqual([wantProbs, wantState]);
      expect(worker.fallbackRuns).toBe(2);
    } finally {
      await freeCores();
      await worker.release();
    }
  });

  it('is free again once it has answered the batch given up on', async () => {
    const worker = await SileroWorkerModel.load(defaultSileroModelPath(), { starvedAfterMs: 1 });
    try {
      const { input, state } = batchOf(100);
      // Starved while the batch is given (on a fast box the worker could otherwise answer inside the 1 ms).
      const freeCores = await occupyEveryCore();
      try {
        await worker.run(input, state, 100);
      } finally {
        await freeCores();
      }
      expect(worker.fallbackRuns).toBe(1); // given up on: the worker may or may not have answered it yet
      // Only the test runs now: the thread gets a core at once (10 s is for a box busy with other work).
      const deadline = Date.now() + 10_000;
      while (worker.starved && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(worker.starved).toBe(false);
    } finally {
      await worker.release();
    }
  });

  it('rejects the load, and leaves no thread behind, when the model cannot be loaded', async () => {
    await expect(SileroWorkerModel.load('/nonexistent/silero.onnx')).rejects.toThrow(/Silero worker/);
  });

  it('rejects every run, rather than hang, once its thread has died', async () => {
    const worker = await SileroWorkerModel.load(defaultSileroModelPath());
    // Kill the thread behind its back, as a crash in native code would.
    await (worker as unknown as { worker: Worker }).worker.terminate();
    const { input, state } = batchOf(2);
    await expect(worker.run(input, state, 2)).rejects.toThrow(/exited/);
    await expect(worker.run(input, state, 2)).rejects.toThrow(/exited/);
    await worker.release();
  });

  it('refuses to run once released', async () => {
    const worker = await SileroWorkerModel.load(defaultSileroModelPath());
    await worker.release();
    await worker.release();
    const { input, state } = batchOf(1);
    await expect(worker.run(input, state, 1)).rejects.toThrow('released');
  });
});
