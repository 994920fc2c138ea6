/**
 * Timers an emulator owns: each forgets itself when it fires, and `clear()` cancels every one still pending, so a
 * closed emulator leaves no handle behind (the suites run with --detectOpenHandles).
 */
export class OwnedTimers {
  private readonly pending = new Set<NodeJS.Timeout>();

  later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.pending.delete(t);
      fn();
    }, ms);
    this.pending.add(t);
    return t;
  }

  cancel(t: NodeJS.Timeout | undefined): void {
    if (!t) return;
    clearTimeout(t);
    this.pending.delete(t);
  }

  clear(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}
