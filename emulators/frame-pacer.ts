/**
 * Calls `tick(n)` at `start + n × period`, scheduled from the absolute start time rather than by chaining
 * `setInterval`, so timer lateness never accumulates: after a late wake-up every tick that is due runs at once
 * (that catch-up is also how a network stall turns into a burst, see {@link FramePacer.stall}).
 */
export class FramePacer {
  private timer: NodeJS.Timeout | undefined;
  private t0 = 0;
  private next = 0;
  private running = false;
  private stalledUntil = 0;

  constructor(
    private readonly periodMs: number,
    /** `lateMs`: how far behind its due time this tick runs. */
    private readonly tick: (index: number, lateMs: number) => void,
  ) {}

  /** `performance.now()` of tick 0. */
  get startedAt(): number {
    return this.t0;
  }

  /** Ticks run so far. */
  get ticks(): number {
    return this.next;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts with tick 0 due now (or at `at`, a `performance.now()` time). */
  start(at = performance.now()): void {
    if (this.running) return;
    this.t0 = at;
    this.next = 0;
    this.running = true;
    this.schedule();
  }

  /** Holds every tick for `ms`; the ones that fall due meanwhile then run back to back (a burst). */
  stall(ms: number): void {
    this.stalledUntil = Math.max(this.stalledUntil, performance.now() + ms);
    if (this.running) {
      clearTimeout(this.timer);
      this.schedule();
    }
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (!this.running) return;
    const due = Math.max(this.t0 + this.next * this.periodMs, this.stalledUntil);
    this.timer = setTimeout(() => this.run(), Math.max(0, due - performance.now()));
  }

  private run(): void {
    const now = performance.now();
    if (now < this.stalledUntil) return this.schedule();
    // Sub-millisecond tolerance: Node timers fire on whole milliseconds.
    while (this.running && this.t0 + this.next * this.periodMs <= now + 0.5) {
      const index = this.next++;
      this.tick(index, now - (this.t0 + index * this.periodMs));
    }
    this.schedule();
  }
}
