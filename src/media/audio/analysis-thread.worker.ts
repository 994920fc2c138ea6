/**
 * Entry of the analysis thread of `ThreadedAudioProcessor`: the default processor (energy gate, DTMF, reorder, turns,
 * and Silero on this same thread) behind the messages of `analysis-thread.protocol.ts`. Loaded as a compiled file
 * (it is ESM, and imports the processor): by default the one beside the processor's own module.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AudioEvent, AudioStream } from './audio-processor.interface.js';
import {
  readFrameBatch,
  type AnalysisWorkerData,
  type FromAnalysisThread,
  type ToAnalysisThread,
} from './analysis-thread.protocol.js';
import { SileroAudioProcessor } from './silero-audio.processor.js';
import { lowerThreadPriority } from './thread-priority.js';

const port = parentPort!;
const post = (m: FromAnalysisThread): void => port.postMessage(m);
const data = workerData as AnalysisWorkerData;

const processor = new SileroAudioProcessor({
  ...data.processor,
  onError: (e) => post({ type: 'error', message: `audio analysis: ${e.message}` }),
});
const streams = new Map<number, AudioStream>();

// What one turn of this thread's loop did goes back in one message: the batches taken so far (the main thread's
// starvation watchdog counts them) and the events.
let events: [number, AudioEvent][] = [];
let batches = 0;
let reported = 0;
let scheduled = false;
function report(): void {
  scheduled = false;
  if (events.length === 0 && batches === reported) return;
  post({ type: 'progress', batches, events });
  events = [];
  reported = batches;
}
function scheduleReport(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(report);
}
function queueEvent(id: number, event: AudioEvent): void {
  events.push([id, event]);
  scheduleReport();
}

async function end(id: number, atMs: number): Promise<void> {
  const stream = streams.get(id);
  if (!stream) return;
  try {
    await stream.end(atMs);
  } finally {
    streams.delete(id);
    stream.close();
    // Every event of the stream goes before its `ended`.
    report();
    post({ type: 'ended', id, stats: { ...stream.stats } });
  }
}

function handle(m: ToAnalysisThread): void {
  switch (m.type) {
    case 'open':
      streams.set(m.id, processor.open({ tracks: m.tracks, onEvent: (e) => queueEvent(m.id, e) }));
      return;
    case 'frames':
      batches += 1;
      scheduleReport();
      readFrameBatch(m.buffer, m.length, (id, sequenceNumber, track, timestamp, payload) => {
        streams.get(id)?.push({ sequenceNumber, track, timestamp, payload });
      });
      return;
    case 'end':
      void end(m.id, m.atMs);
      return;
    case 'close':
      streams.get(m.id)?.close();
      streams.delete(m.id);
      return;
  }
}

/** Model counters for the main thread, twice a second (an idle stream set costs one small message). */
function sendTotals(): void {
  let modelWindows = 0;
  let skipped = 0;
  for (const stream of streams.values()) {
    modelWindows += stream.stats.modelWindows;
    skipped += stream.stats.modelSkippedWindows ?? 0;
  }
  const { runs, windows, largestBatch } = processor.batchStats;
  post({ type: 'totals', totals: { runs, windows, largestBatch, modelWindows, skipped } });
}

processor.warmUp().then(
  () => {
    setInterval(sendTotals, 500).unref();
    port.on('message', (m: ToAnalysisThread) => {
      try {
        handle(m);
      } catch (e) {
        post({ type: 'error', message: `audio analysis: ${(e as Error).message}` });
      }
    });
    post({ type: 'ready', priority: data.lowerPriority ? lowerThreadPriority() : 'normal' });
  },
  (e: Error) => post({ type: 'error', message: `audio analysis: the model did not load: ${e.message}` }),
);
