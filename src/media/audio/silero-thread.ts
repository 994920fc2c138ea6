/** Where Silero can run: on the event loop's thread, or in a worker thread of its own. */
export const SILERO_THREADS = ['main', 'worker'] as const;

/** One of {@link SILERO_THREADS}. */
export type SileroThread = (typeof SILERO_THREADS)[number];

/** Whether `value` names a {@link SileroThread} (options from JavaScript callers or the command line are unchecked). */
export function isSileroThread(value: unknown): value is SileroThread {
  return (SILERO_THREADS as readonly unknown[]).includes(value);
}

/**
 * Where the media module's default audio processor runs (`VAD_THREAD`): `analysis` (default) = all of it in a thread of
 * its own (`ThreadedAudioProcessor`); `worker` = Silero alone in a thread of its own; `main` = all on the event loop.
 */
export const VAD_THREADS = ['main', 'worker', 'analysis'] as const;

/** One of {@link VAD_THREADS}. */
export type VadThread = (typeof VAD_THREADS)[number];
