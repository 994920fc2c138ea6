import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Linux's default scheduling policy, as field 41 of `/proc/<pid>/task/<tid>/stat` gives it. */
const SCHED_OTHER = 0;

/** What {@link batchHelperThreads} did. */
export interface HelperThreadsResult {
  /** False when the platform has no per-thread policies to set (not Linux): nothing was tried. */
  readonly supported: boolean;
  /** Threads moved from `SCHED_OTHER` to `SCHED_BATCH`. */
  readonly batched: number;
  /** Threads that could not be moved (no `chrt`, not allowed, or gone meanwhile). */
  readonly failed: number;
}

/** The process's threads, as {@link batchHelperThreads} sees them; tests give a stand-in. */
export interface ThreadTable {
  /** The event loop's thread (on Linux the main thread's TID is the PID). */
  readonly mainTid: number;
  /** Every thread of the process now. */
  list(): number[];
  /** The thread's scheduling policy, or `undefined` if it has gone. */
  policyOf(tid: number): number | undefined;
  /** Puts the thread under `SCHED_BATCH` at its nice value; throws if it cannot. */
  setBatch(tid: number): void;
}

/**
 * Moves every helper thread of this process that runs under the default policy (`SCHED_OTHER`) to `SCHED_BATCH`: V8's
 * platform threads (its background GC work), libuv's thread pool, and the threads workers left at the default. The
 * event loop's thread is left as it is, and so are threads at a lower priority already (the audio analysis threads
 * run at `SCHED_IDLE`).
 *
 * Why: on a small box (2 vCPUs), a helper that the event loop wakes, say V8's ArrayBuffer sweep after a young
 * collection, is often placed on the event loop's own vCPU and preempts it there, so the event loop sits out the
 * helper's whole task: the relay's scavenges paused 2–6 ms instead of about 1 ms (bench README). `SCHED_BATCH` keeps
 * a thread's fair share of CPU but gives up wakeup preemption: the helper runs when the event loop waits, or on the
 * other vCPU. It never starves, so the event loop waiting on a helper (joining a GC job) still finishes. Moving to
 * `SCHED_BATCH` needs no privilege.
 *
 * Call it once the app has started (threads that start later keep the default); it is for entry points such as
 * `main.ts`, not for code that runs inside someone else's process (a test runner's threads are theirs).
 */
export function batchHelperThreads(table: ThreadTable | null = procThreadTable()): HelperThreadsResult {
  if (!table) return { supported: false, batched: 0, failed: 0 };
  let batched = 0;
  let failed = 0;
  for (const tid of table.list()) {
    if (tid === table.mainTid || table.policyOf(tid) !== SCHED_OTHER) continue;
    try {
      table.setBatch(tid);
      batched += 1;
    } catch {
      failed += 1;
    }
  }
  return { supported: true, batched, failed };
}

/** The scheduling policy in a `/proc/<pid>/task/<tid>/stat` line (field 41), or `undefined` if it is not one. */
export function policyFromStat(stat: string): number | undefined {
  // The command name (field 2) is in parentheses and may hold spaces and parentheses itself: count from the last `)`.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const policy = Number(fields[41 - 3]);
  return Number.isInteger(policy) ? policy : undefined;
}

/** This process's threads from `/proc/self/task`, with `chrt` (util-linux) to move them; `null` off Linux. */
function procThreadTable(): ThreadTable | null {
  if (process.platform !== 'linux') return null;
  return {
    mainTid: process.pid,
    list: () => readdirSync('/proc/self/task').map(Number),
    policyOf: (tid) => {
      try {
        return policyFromStat(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8'));
      } catch {
        return undefined;
      }
    },
    setBatch: (tid) => {
      execFileSync('chrt', ['--batch', '--pid', '0', String(tid)], { stdio: 'ignore', timeout: 2000 });
    },
  };
}
