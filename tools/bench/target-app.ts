/**
 * The app under test, in its own process: the real Nest app from `createApp` (fork or relay mode) on loopback.
 * Answers the orchestrator with its CPU, RSS and event-loop delay over a window, and, with the probe on, each media
 * frame's arrival time at its session (`MediaSession.receive`: after the socket, Nest's adapter and the parser),
 * taken on the machine-wide clock so it can be subtracted from the load generator's send time.
 */
import { createRequire } from 'node:module';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app.factory.js';
import { AUDIO_PROCESSOR, type AudioProcessor } from '../../src/media/audio/audio-processor.interface.js';
import { ThreadedAudioProcessor } from '../../src/media/audio/threaded-audio.processor.js';
import { MediaSession } from '../../src/media/session/media-session.js';
import type { TwilioInboundFrame } from '../../src/protocol/twilio-media.js';
import { BENCH_ENV, type AppAudioWindow, type TargetConfig } from './bench-env.js';
import { monoMs } from './clock.js';
import { failed, ready, serve } from './ipc.js';
import { Histogram } from './histogram.js';
import { ProcStats } from './proc-stats.js';
import { TIMELINE_KIND } from './tail-attribution.js';

const config = JSON.parse(process.env.BENCH_TARGET ?? '{}') as TargetConfig;

/** Arrival times per call (index from the bench's CallSid) and track; allocated and touched before the idle RSS. */
let arrivals: { inbound: Float64Array[]; outbound: Float64Array[] } | undefined;

function installProbe(calls: number, maxFrames: number): void {
  arrivals = {
    inbound: Array.from({ length: calls }, () => new Float64Array(maxFrames).fill(Number.NaN)),
    outbound: Array.from({ length: calls }, () => new Float64Array(maxFrames).fill(Number.NaN)),
  };
  const table = arrivals;
  const INDEX = Symbol('benchCallIndex');
  type Probed = MediaSession & { [INDEX]?: number };
  const receive = MediaSession.prototype.receive;
  // One clock read and a store per frame (~0.1 µs): negligible beside the frame's handling.
  MediaSession.prototype.receive = function (this: Probed, frame: TwilioInboundFrame): void {
    if (frame.event === 'media' && this.callSid) {
      const t = monoMs();
      const call = (this[INDEX] ??= Number.parseInt(this.callSid.slice(2), 16));
      const row = (frame.media.track === 'inbound' ? table.inbound : table.outbound)[call];
      const i = frame.media.chunk - 1;
      if (row && i >= 0 && i < row.length) row[i] = t;
    }
    receive.call(this, frame);
  };
}

/**
 * How long each Silero batch blocks the event loop, when the fallback runs one there (the analysis thread's runs are
 * in another isolate, out of this binding's reach): onnxruntime-node runs `session.run` synchronously. Times the
 * native call; one clock read either side. With `--dump`, each run also goes on the window's timeline.
 */
const modelRuns = new Histogram();
let modelRunWindows = 0;
function timeModelRuns(stats: ProcStats): void {
  try {
    // The native class's methods are read-only: swap in a subclass on the binding module, which backend.js reads
    // each time it creates a session (before the model loads at boot).
    type Feeds = Record<string, { dims?: readonly number[] }>;
    type NativeSession = new () => { run(feeds: Feeds, ...rest: unknown[]): unknown };
    const mod = createRequire(import.meta.url)('onnxruntime-node/dist/binding.js') as {
      binding: { InferenceSession: NativeSession };
    };
    const Native = mod.binding.InferenceSession;
    class TimedSession extends Native {
      override run(feeds: Feeds, ...rest: unknown[]): unknown {
        const t = performance.now();
        try {
          return super.run(feeds, ...rest);
        } finally {
          const ms = performance.now() - t;
          modelRuns.recordMs(ms);
          stats.note(t, ms, TIMELINE_KIND.model);
          modelRunWindows += Number(feeds.input?.dims?.[0] ?? 0);
        }
      }
    }
    mod.binding = Object.assign(Object.create(mod.binding) as object, {
      InferenceSession: TimedSession,
    }) as typeof mod.binding;
  } catch {
    // another onnxruntime layout: no timing
  }
}

/** Sampling heap profile of everything allocated in the window (collected objects included): top sites. */
const inspector = new Session();
async function allocStart(): Promise<void> {
  inspector.connect();
  await inspector.post('HeapProfiler.startSampling', {
    samplingInterval: 16384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as never);
}
interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}
async function allocStop(): Promise<{ totalBytes: number; top: { site: string; bytes: number }[] }> {
  const { profile } = (await inspector.post('HeapProfiler.stopSampling')) as unknown as {
    profile: { head: SamplingNode };
  };
  inspector.disconnect();
  const sites = new Map<string, number>();
  let total = 0;
  const walk = (n: SamplingNode, caller: string) => {
    const f = n.callFrame;
    const file = f.url.replace(/^.*\/node_modules\//, '').replace(/^.*\/dist\//, 'dist/');
    const site = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}` + (caller ? ` ← ${caller}` : '');
    if (n.selfSize) {
      sites.set(site, (sites.get(site) ?? 0) + n.selfSize);
      total += n.selfSize;
    }
    for (const c of n.children) walk(c, `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`);
  };
  walk(profile.head, '');
  const top = [...sites.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([site, bytes]) => ({ site, bytes }));
  return { totalBytes: total, top };
}

try {
  const stats = new ProcStats(config.trace);
  timeModelRuns(stats);
  if (config.probe) installProbe(config.probe.calls, config.probe.maxFrames);
  const app = await createApp({
    env: {
      ...BENCH_ENV,
      PORT: '0',
      MEDIA_MODE: config.mode,
      ...(config.vadPriority ? { VAD_THREAD_PRIORITY: config.vadPriority } : {}),
      ...(config.mode === 'relay' ? { AGENT_STREAM_URL: config.agentUrl } : {}),
    },
  });
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  // One liveness probe, as an orchestrator sends within seconds of a start: the HTTP middleware opens the log context
  // (AsyncLocalStorage), which on Node 20 installs async hooks for the rest of the process's life. A deployed app
  // always runs with them; without this request the bench would measure an app that never does.
  await (await fetch(`http://127.0.0.1:${port}/health/live`)).arrayBuffer();
  // The analysis thread's model counters and the fallback's moves, as deltas over the window.
  const processor = app.get<AudioProcessor>(AUDIO_PROCESSOR, { strict: false });
  if (!(processor instanceof ThreadedAudioProcessor)) throw new Error('the app under test has another audio processor');
  const batch = () => {
    const t = processor.analysisStats;
    return {
      runs: t.runs,
      windows: t.windows,
      largestBatch: t.largestBatch,
      skipped: t.skipped,
      model: t.modelWindows,
      moved: processor.fallbackStats.streamsMoved,
    };
  };
  let batch0 = batch();
  serve({
    mark: () => {
      batch0 = batch();
      modelRuns.reset();
      modelRunWindows = 0;
      stats.mark();
    },
    read: () => {
      const w = stats.read();
      const b = batch();
      const r = modelRuns.summary();
      const audio: AppAudioWindow = {
        runs: b.runs - batch0.runs,
        windows: b.windows - batch0.windows,
        largestBatch: b.largestBatch,
        skipped: b.skipped - batch0.skipped,
        modelWindows: b.model - batch0.model,
        streamsMoved: b.moved - batch0.moved,
        runMs: { p50: r.p50, p99: r.p99, max: r.max, totalMs: r.mean * r.count, windows: modelRunWindows },
      };
      return { ...w, audio };
    },
    memory: () => stats.memory(),
    probe: () => arrivals,
    'alloc-start': allocStart,
    'alloc-stop': allocStop,
    exit: async () => {
      setImmediate(async () => {
        const force = setTimeout(() => process.exit(0), 3000);
        force.unref();
        await app.close().catch(() => undefined);
        process.exit(0);
      });
    },
  });
  ready({ port, pid: process.pid });
} catch (err) {
  failed(err);
}
