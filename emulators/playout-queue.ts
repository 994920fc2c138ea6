/**
 * What Twilio does with audio a bidirectional stream server sends: queue it and play it in order in real time
 * (8 mu-law bytes per ms). A `mark` is echoed once the audio queued before it has played; `clear` drops what is still
 * queued and echoes every pending mark at once. Continuous time, not ticks: a mark echoes exactly when its audio ends.
 */
import { MULAW_BYTES_PER_MS } from './mulaw-audio.js';

/** A mark the server sent and what became of it (times in ms on the owner's clock). */
export interface ReceivedMark {
  readonly name: string;
  readonly t: number;
  /** When it was echoed back. */
  echoedAt?: number;
  /** Echoed because of a `clear` (flushed, not played). */
  cleared: boolean;
}

export class PlayoutQueue {
  /** `performance.now()` when the queued audio runs out. */
  private queuedUntil = 0;
  private readonly pending: { readonly mark: ReceivedMark; readonly timer: NodeJS.Timeout }[] = [];

  /** `echo` is called for every mark, in order, when it is due (played or cleared). */
  constructor(private readonly echo: (mark: ReceivedMark) => void) {}

  /** Bytes queued and not yet played. */
  get queuedBytes(): number {
    return Math.max(0, Math.round((this.queuedUntil - performance.now()) * MULAW_BYTES_PER_MS));
  }

  /** Queues `bytes` of audio; returns the `performance.now()` at which it starts playing. */
  enqueue(bytes: number): number {
    const start = Math.max(performance.now(), this.queuedUntil);
    this.queuedUntil = start + bytes / MULAW_BYTES_PER_MS;
    return start;
  }

  /** Queues a mark behind the audio queued so far. */
  mark(mark: ReceivedMark): void {
    const wait = this.queuedUntil - performance.now();
    if (wait <= 0 && this.pending.length === 0) {
      this.echo(mark);
      return;
    }
    // Marks echo in order; a mark never overtakes one queued before it.
    const timer = setTimeout(() => this.playedUpTo(mark), Math.max(0, wait));
    this.pending.push({ mark, timer });
  }

  /** Drops queued audio and echoes every pending mark now. */
  clear(): { readonly droppedBytes: number; readonly flushed: readonly string[] } {
    const droppedBytes = this.queuedBytes;
    this.queuedUntil = performance.now();
    const flushed: string[] = [];
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.mark.cleared = true;
      this.echo(p.mark);
      flushed.push(p.mark.name);
    }
    return { droppedBytes, flushed };
  }

  /** Cancels pending echoes (the stream is gone). */
  dispose(): void {
    for (const p of this.pending.splice(0)) clearTimeout(p.timer);
  }

  private playedUpTo(mark: ReceivedMark): void {
    while (this.pending.length) {
      const p = this.pending.shift()!;
      clearTimeout(p.timer);
      this.echo(p.mark);
      if (p.mark === mark) break;
    }
  }
}
