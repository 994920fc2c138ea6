/**
 * The URL of a worker thread's entry file that sits beside the calling module (`import.meta.url`). Under Jest the
 * sources are TypeScript, which a worker cannot load: the built copy in `dist/` is used (`npm test` builds first).
 */
export function threadEntry(callerUrl: string, file: string): URL {
  return new URL(file, callerUrl.endsWith('.ts') ? callerUrl.replace('/src/', '/dist/') : callerUrl);
}
