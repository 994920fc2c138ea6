import { defaultSileroModelPath, SileroModel, type SileroRunner } from './silero-model.js';
import type { SileroThread } from './silero-thread.js';
import { SileroWorkerModel } from './silero-worker-model.js';

/** A share of the process-wide model; `release` once when done. */
export interface SileroModelLease {
  readonly model: Promise<SileroRunner>;
  release(): Promise<void>;
}

const shared = new Map<string, { model: Promise<SileroRunner>; refs: number }>();

/**
 * The process-wide model for `path` on `thread`: loaded once, on first acquisition, shared by every processor, and
 * released when the last lease is. (One session serves any number of calls: runs are batched, not parallel.)
 */
export function acquireSileroModel(
  path: string = defaultSileroModelPath(),
  thread: SileroThread = 'main',
): SileroModelLease {
  const key = `${thread}:${path}`;
  let entry = shared.get(key);
  if (!entry) {
    entry = { model: thread === 'worker' ? SileroWorkerModel.load(path) : SileroModel.load(path), refs: 0 };
    // A failed load is not cached: the next acquisition tries again.
    entry.model.catch(() => shared.get(key) === entry && shared.delete(key));
    shared.set(key, entry);
  }
  entry.refs++;
  const held = entry;
  let released = false;
  return {
    model: held.model,
    async release() {
      if (released) return;
      released = true;
      if (--held.refs > 0) return;
      if (shared.get(key) === held) shared.delete(key);
      const model = await held.model.catch(() => undefined);
      await model?.release();
    },
  };
}
