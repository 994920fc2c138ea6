import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The compiled analysis thread entry in `dist/` (a worker thread cannot load TypeScript), for specs that run the
 * real thread from the sources: they give it as `ThreadedAudioProcessorOptions.workerUrl`. `npm test` builds first.
 */
export function builtAnalysisWorker(): URL {
  const url = new URL('../../../dist/media/audio/analysis-thread.worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(url))) throw new Error(`${fileURLToPath(url)} is missing: run \`npm run build\` first`);
  return url;
}
