/** Where Silero can run: on the event loop's thread, or in a worker thread of its own. */
export const SILERO_THREADS = ['main', 'worker'] as const;

/** One of {@link SILERO_THREADS}. */
export type SileroThread = (typeof SILERO_THREADS)[number];

/** Whether `value` names a {@link SileroThread} (options from JavaScript callers or the command line are unchecked). */
export function isSileroThread(value: unknown): value is SileroThread {
  return (SILERO_THREADS as readonly unknown[]).includes(value);
}
