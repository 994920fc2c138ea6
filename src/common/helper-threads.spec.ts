import { execFileSync } from 'node:child_process';
import { batchHelperThreads, policyFromStat, type ThreadTable } from './helper-threads.js';

const OTHER = 0;
const BATCH = 3;
const IDLE = 5;

/** A process's threads in memory: policies by TID, and the moves asked for. */
class FakeThreadTable implements ThreadTable {
  readonly moved: number[] = [];
  constructor(
    readonly mainTid: number,
    private readonly policies: Map<number, number | undefined>,
    private readonly refuse = new Set<number>(),
  ) {}
  list(): number[] {
    return [...this.policies.keys()];
  }
  policyOf(tid: number): number | undefined {
    return this.policies.get(tid);
  }
  setBatch(tid: number): void {
    if (this.refuse.has(tid)) throw new Error('Operation not permitted');
    this.moved.push(tid);
    this.policies.set(tid, BATCH);
  }
}

/** A `stat` line with `policy` in field 41 and the rest zeros. */
function statLine(comm: string, policy: number): string {
  const after = Array.from({ length: 50 }, (_, i) => (i === 41 - 3 ? String(policy) : i === 0 ? 'S' : '0'));
  return `1234 (${comm}) ${after.join(' ')}`;
}

describe(batchHelperThreads.name, () => {
  it('moves every helper at the default policy, and leaves the event loop and lower-priority threads alone', () => {
    const table = new FakeThreadTable(
      100,
      new Map([
        [100, OTHER], // the event loop
        [101, OTHER], // V8 platform threads
        [102, OTHER],
        [110, IDLE], // the analysis thread
        [111, BATCH],
        [112, undefined], // exited meanwhile
      ]),
    );
    expect(batchHelperThreads(table)).toEqual({ supported: true, batched: 2, failed: 0 });
    expect(table.moved).toEqual([101, 102]);
  });

  it('counts a thread it may not move and goes on with the others', () => {
    const table = new FakeThreadTable(
      1,
      new Map([
        [1, OTHER],
        [2, OTHER],
        [3, OTHER],
      ]),
      new Set([2]),
    );
    expect(batchHelperThreads(table)).toEqual({ supported: true, batched: 1, failed: 1 });
    expect(table.moved).toEqual([3]);
  });

  it('does nothing where threads have no policies to set', () => {
    expect(batchHelperThreads(null)).toEqual({ supported: false, batched: 0, failed: 0 });
  });

  // The real thing, in a child process: the test runner's own threads are not ours to change.
  (process.platform === 'linux' ? it : it.skip)(
    'moves a real process’s helpers to SCHED_BATCH and keeps its event loop at SCHED_OTHER',
    () => {
      const script = `
      import { readdirSync, readFileSync } from 'node:fs';
      import { Worker } from 'node:worker_threads';
      const { batchHelperThreads, policyFromStat } = await import(${JSON.stringify(new URL('../../dist/common/helper-threads.js', import.meta.url).href)});
      const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
      await new Promise((resolve) => worker.once('online', resolve));
      const result = batchHelperThreads();
      const policies = Object.fromEntries(readdirSync('/proc/self/task').map((t) => [t, policyFromStat(readFileSync('/proc/self/task/' + t + '/stat', 'utf8'))]));
      await worker.terminate();
      process.stdout.write(JSON.stringify({ pid: process.pid, result, policies }));
    `;
      const out = JSON.parse(
        execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 }),
      ) as {
        pid: number;
        result: { batched: number; failed: number };
        policies: Record<string, number>;
      };
      expect(out.result.failed).toBe(0);
      // V8's platform threads and the worker's thread, at least.
      expect(out.result.batched).toBeGreaterThanOrEqual(2);
      expect(out.policies[String(out.pid)]).toBe(OTHER);
      const helpers = Object.entries(out.policies).filter(([tid]) => tid !== String(out.pid));
      expect(helpers.length).toBeGreaterThanOrEqual(out.result.batched);
      for (const [, policy] of helpers) expect(policy).toBe(BATCH);
    },
  );
});

describe(policyFromStat.name, () => {
  it('reads field 41 after a command name with spaces and parentheses', () => {
    expect(policyFromStat(statLine('node (worker) 1', IDLE))).toBe(IDLE);
    expect(policyFromStat(statLine('node', OTHER))).toBe(OTHER);
  });

  it('says undefined for a line without the field', () => {
    expect(policyFromStat('1234 (node) S 1 2')).toBeUndefined();
  });
});
