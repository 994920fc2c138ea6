import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * The CPU priority a thread got: `idle` = Linux `SCHED_IDLE` (it runs only when no other thread wants the core;
 * under cgroup group scheduling, as in a container, no other thread of the same group), `nice` = nice 19 (`chrt`,
 * from util-linux, was missing), `normal` = unchanged (not asked, not Linux, or neither was allowed). Lowering is one
 * way: without CAP_SYS_NICE (RLIMIT_NICE 0, as for Docker's `node` user) the thread cannot be raised again.
 */
export type ThreadPriority = 'idle' | 'nice' | 'normal';

/**
 * Puts the calling thread, and only it (a worker's own thread, by its thread id), at the lowest CPU priority there
 * is, so that it never preempts the event loop (docs/decisions/0012-analysis-thread-priority-opt-in.md). Call it once
 * the thread's setup is done: a starved thread would not even finish that.
 */
export function lowerThreadPriority(): ThreadPriority {
  if (process.platform !== 'linux') return 'normal';
  try {
    const tid = readlinkSync('/proc/thread-self').split('/').pop()!;
    try {
      execFileSync('chrt', ['--idle', '--pid', '0', tid], { stdio: 'ignore', timeout: 2000 });
      return 'idle';
    } catch {
      setPriority(Number(tid), 19);
      return 'nice';
    }
  } catch {
    return 'normal';
  }
}
