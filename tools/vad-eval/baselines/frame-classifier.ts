import type { TurnTrackerOptions } from '../../../src/media/audio/turn-tracker.js';
import { TurnTracker } from '../../../src/media/audio/turn-tracker.js';

/**
 * A frame-level speech classifier for the evaluation's baselines: whole clip in, one speech probability (or 0/1)
 * per unit out. Each detector's units then go through the same {@link TurnTracker} as the processor's windows.
 */
export interface FrameClassifier {
  readonly name: string;
  /** Samples per unit (160 = 20 ms at 8 kHz, 256 = a Silero window). */
  readonly unitSamples: number;
  /** Speech probability of every whole unit of `samples` (linear, [-1, 1)), from a fresh state. */
  classify(samples: Float32Array): Promise<Float32Array>;
  /** Frees native resources. */
  dispose?(): Promise<void> | void;
}

/** A turn found by {@link turnsOf}. `stoppedAt`/`stopDetectedAt` are NaN if the clip ended inside it (then closed). */
export interface Turn {
  readonly startedAt: number;
  readonly startDetectedAt: number;
  readonly stoppedAt: number;
  readonly stopDetectedAt: number;
}

/** Runs per-unit probabilities through the turn logic (units undated: a turn starts at its first speech unit). */
export function turnsOf(probs: Float32Array, unitMs: number, options: TurnTrackerOptions, endMs: number): Turn[] {
  const turns: Turn[] = [];
  let open: { at: number; detectedAt: number } | undefined;
  const tracker = new TurnTracker(options, (type, at, detectedAt) => {
    if (type === 'speech.started') open = { at, detectedAt };
    else if (open) {
      turns.push({ startedAt: open.at, startDetectedAt: open.detectedAt, stoppedAt: at, stopDetectedAt: detectedAt });
      open = undefined;
    }
  });
  for (let u = 0; u < probs.length; u++) tracker.update(u, u * unitMs, (u + 1) * unitMs, probs[u]!);
  tracker.end(endMs);
  return turns;
}
