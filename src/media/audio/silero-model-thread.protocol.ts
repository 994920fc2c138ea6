import type { ThreadPriority } from './thread-priority.js';

/**
 * The messages between {@link SileroWorkerModel} and its thread. Windows, states and results cross in
 * `SharedArrayBuffer`s; one small message goes each way per run.
 */

/** The shared buffers of one capacity: `input` and `state` in, `probs` and `stateOut` out. */
export interface SileroSharedBuffers {
  readonly input: SharedArrayBuffer;
  readonly state: SharedArrayBuffer;
  readonly probs: SharedArrayBuffer;
  readonly stateOut: SharedArrayBuffer;
}

/** What the thread is started with. */
export interface SileroThreadData {
  /** The model file. */
  readonly path: string;
  readonly buffers: SileroSharedBuffers;
}

/** Calling thread → model thread: bigger buffers (a bigger batch came), or run the first `run` rows. */
export type ToSileroThread = { readonly buffers: SileroSharedBuffers } | { readonly run: number };

/** Model thread → calling thread: loaded (and at which priority), a run done, or an error. */
export type FromSileroThread =
  { readonly ready: true; readonly priority: ThreadPriority } | { readonly done: number } | { readonly error: string };
