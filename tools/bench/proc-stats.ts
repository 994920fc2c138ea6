import { readdirSync, readFileSync } from 'node:fs';
import { monoMs } from './clock.js';
import {
  constants as perfConstants,
  monitorEventLoopDelay,
  PerformanceObserver,
  type IntervalHistogram,
} from 'node:perf_hooks';
import { PREEMPTED_MIN_WAIT_MS, TIMELINE_KIND } from './tail-attribution.js';

/** A window's GC counters before its first collection. */
function noGc(): { count: number; totalMs: number; maxMs: number; major: number; majorMs: number } {
  return { count: 0, totalMs: 0, maxMs: 0, major: 0, majorMs: 0 };
}

/** Timer interval of the event-loop-delay monitor, ms. Its samples include the interval; we report the excess. */
export const ELD_RESOLUTION_MS = 1;
/** Linux USER_HZ: /proc CPU times are in these ticks. */
const CLK_TCK = 100;

export interface ThreadCpu {
  /** Main JS thread. */
  readonly mainMs: number;
  /** Every other thread of the process (V8 GC helpers, libuv pool, onnxruntime). */
  readonly otherMs: number;
}

/** One process's figures over a window (from {@link ProcStats.mark} to {@link ProcStats.read}). */
export interface ProcWindow {
  readonly pid: number;
  readonly wallMs: number;
  /** process.cpuUsage(): every thread, user + system, ms. */
  readonly cpuMs: number;
  readonly userMs: number;
  readonly systemMs: number;
  readonly threads: ThreadCpu;
  /** RSS now, and the largest sampled during the window (every 250 ms), bytes. */
  readonly rss: number;
  readonly rssMax: number;
  readonly heapUsed: number;
  /** Event-loop delay beyond the timer interval, ms. */
  readonly eld: {
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
    readonly mean: number;
    readonly samples: number;
  };
  /**
   * Garbage-collection pauses of the main thread in the window; `major` of them full mark-compacts of the old
   * generation (in a steady run there are none: what the frames allocate dies young).
   */
  readonly gc: {
    readonly count: number;
    readonly totalMs: number;
    readonly maxMs: number;
    readonly major: number;
    readonly majorMs: number;
  };
  /**
   * Main thread time spent runnable but not running (another process had the core), and involuntary context
   * switches: CPU contention on the box, as opposed to the process's own work.
   */
  readonly sched: { readonly waitMs: number; readonly involuntary: number };
  /** With `trace`: what held the main thread, [start (bench clock, ms), duration ms, kind]: GC pauses (Node's GC
   * kind), anything {@link ProcStats.note}d, stalls over 5 ms (`TIMELINE_KIND.stall`), and ticks of the 1 ms timer in
   * which the thread waited for a core (`TIMELINE_KIND.preempted`); those two carry the run-queue wait (ms) inside them
   * as a fourth field. */
  readonly timeline?: number[][];
}

/** Main thread: ns waiting on a run queue (runnable, not running), and involuntary context switches. */
function schedWait(): { waitNs: number; involuntary: number } {
  try {
    const st = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ');
    const status = readFileSync('/proc/thread-self/status', 'utf8');
    const m = /nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status);
    return { waitNs: Number(st[1]), involuntary: m ? Number(m[1]) : 0 };
  } catch {
    return { waitNs: Number.NaN, involuntary: Number.NaN };
  }
}

function threadTicks(): { main: number; other: number } {
  let main = 0;
  let other = 0;
  const pid = String(process.pid);
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      } catch {
        continue; // thread exited
      }
      // Fields after the "(comm)": state is field 3; utime 14, stime 15 (1-based).
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(f[11]) + Number(f[12]);
      if (tid === pid) main += ticks;
      else other += ticks;
    }
  } catch {
    // not Linux
  }
  return { main, other };
}

/**
 * CPU, memory and event-loop delay of the current process over a measurement window. Cheap enough to run inside
 * the process under test: a 1 ms ELD timer (the same in every mode) and a 250 ms RSS sampler while marked.
 */
export class ProcStats {
  private readonly eld: IntervalHistogram = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  private cpu = process.cpuUsage();
  private wall = performance.now();
  private ticks = threadTicks();
  private rssMax = 0;
  private sampler: NodeJS.Timeout | undefined;
  private gc = noGc();
  private timeline: number[][] | undefined;
  private sched0 = schedWait();
  private tracer: NodeJS.Timeout | undefined;
  /** Add to a `performance.now()` reading to put it on the bench clock. */
  private readonly perfToMono = monoMs() - performance.now();

  /** `trace`: also keep a timeline of what held the main thread (for `--dump`). */
  constructor(private readonly trace = false) {
    this.eld.enable();
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? -1;
        this.note(e.startTime, e.duration, kind);
        this.gc.count++;
        this.gc.totalMs += e.duration;
        if (e.duration > this.gc.maxMs) this.gc.maxMs = e.duration;
        if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) {
          this.gc.major++;
          this.gc.majorMs += e.duration;
        }
      }
    }).observe({ entryTypes: ['gc'] });
  }

  /** With `trace`, adds something that held the main thread to the window's timeline (`start` from `performance.now()`). */
  note(start: number, durationMs: number, kind: number): void {
    this.timeline?.push([start + this.perfToMono, durationMs, kind]);
  }

  /** Starts a window. */
  mark(): void {
    this.eld.reset();
    this.gc = noGc();
    if (this.trace) {
      this.timeline = [];
      let last = monoMs();
      let lastWait = schedWait().waitNs;
      clearInterval(this.tracer);
      this.tracer = setInterval(() => {
        const now = monoMs();
        const wait = schedWait().waitNs;
        const waitedMs = (wait - lastWait) / 1e6;
        if (now - last > 5) this.timeline?.push([last, now - last, TIMELINE_KIND.stall, waitedMs]);
        if (waitedMs >= PREEMPTED_MIN_WAIT_MS)
          this.timeline?.push([last, now - last, TIMELINE_KIND.preempted, waitedMs]);
        last = now;
        lastWait = wait;
      }, 1);
      this.tracer.unref();
    }
    this.cpu = process.cpuUsage();
    this.wall = performance.now();
    this.ticks = threadTicks();
    this.sched0 = schedWait();
    this.rssMax = process.memoryUsage.rss();
    clearInterval(this.sampler);
    this.sampler = setInterval(() => {
      const rss = process.memoryUsage.rss();
      if (rss > this.rssMax) this.rssMax = rss;
    }, 250);
    this.sampler.unref();
  }

  /** Figures since the last {@link mark} (or since construction). */
  read(): ProcWindow {
    const cpu = process.cpuUsage(this.cpu);
    const wallMs = performance.now() - this.wall;
    const t = threadTicks();
    const sched = schedWait();
    const mem = process.memoryUsage();
    clearInterval(this.sampler);
    clearInterval(this.tracer);
    this.sampler = undefined;
    const excess = (ns: number) => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);
    return {
      pid: process.pid,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      userMs: cpu.user / 1000,
      systemMs: cpu.system / 1000,
      threads: {
        mainMs: ((t.main - this.ticks.main) * 1000) / CLK_TCK,
        otherMs: ((t.other - this.ticks.other) * 1000) / CLK_TCK,
      },
      rss: mem.rss,
      rssMax: Math.max(this.rssMax, mem.rss),
      heapUsed: mem.heapUsed,
      eld: {
        p50: excess(this.eld.percentile(50)),
        p99: excess(this.eld.percentile(99)),
        max: excess(this.eld.max),
        mean: excess(this.eld.mean),
        samples: this.eld.count,
      },
      gc: { ...this.gc },
      sched: {
        waitMs: (sched.waitNs - this.sched0.waitNs) / 1e6,
        involuntary: sched.involuntary - this.sched0.involuntary,
      },
      timeline: this.timeline,
    };
  }

  /** RSS and heap now. */
  memory(): { rss: number; heapUsed: number } {
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed };
  }
}
