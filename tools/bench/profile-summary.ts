import { readFileSync } from 'node:fs';

/** A V8 `.cpuprofile` (what `node --cpu-prof` writes). */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  }[];
  /** µs, V8's monotonic clock. */
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  /** Sampled ms inside the window (idle excluded). */
  readonly busyMs: number;
  readonly idleMs: number;
  readonly windowed: boolean;
  readonly top: readonly { readonly name: string; readonly where: string; readonly ms: number; readonly pct: number }[];
  readonly byArea: readonly { readonly area: string; readonly ms: number; readonly pct: number }[];
}

/** Where a function lives: a package, Node's own JS, the app (dist/), or V8's pseudo-nodes. */
function areaOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0)
    return (
      'app:' +
      url
        .slice(dist + 6)
        .split('/')
        .slice(0, -1)
        .join('/')
    );
  return url;
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + 14);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return 'dist/' + url.slice(dist + 6);
  return url.replace(/^file:\/\//, '');
}

/**
 * Self time by function and by area, from the samples inside [fromMs, toMs] (machine-wide monotonic ms, the bench
 * clock; V8's profile clock is the same CLOCK_MONOTONIC) when they overlap the profile, else from all samples.
 */
export function summarizeProfile(path: string, fromMs?: number, toMs?: number, topN = 20): ProfileSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const from = fromMs !== undefined ? fromMs * 1000 : Number.NEGATIVE_INFINITY;
  const to = toMs !== undefined ? toMs * 1000 : Number.POSITIVE_INFINITY;
  const windowed = from < p.endTime && to > p.startTime && Number.isFinite(from);
  const self = new Map<string, { name: string; where: string; area: string; us: number }>();
  let t = p.startTime;
  let busy = 0;
  let idle = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]!;
    // A sample's time is the interval that ends at the next one.
    const dt = p.timeDeltas[i + 1] ?? 0;
    if (windowed && (t < from || t > to)) continue;
    const f = byId.get(p.samples[i]!);
    if (!f) continue;
    if (f.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    busy += dt;
    const where = f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName}@${where}`;
    // The bench's own wrappers in the target (probe, model timing) carry the wrapped call's self time.
    const wrapped = where.includes('tools/bench/target-app')
      ? f.functionName === 'run'
        ? 'onnxruntime session.run (native Silero inference; bench timing wrapper)'
        : `${f.functionName} (bench probe wrapper + inlined original)`
      : undefined;
    const e = self.get(key) ?? {
      name: wrapped ?? (f.functionName || '(anonymous)'),
      where,
      area: wrapped
        ? f.functionName === 'run'
          ? 'onnxruntime-node'
          : 'app:media/session'
        : areaOf(f.url, f.functionName),
      us: 0,
    };
    e.us += dt;
    self.set(key, e);
  }
  const areas = new Map<string, number>();
  for (const e of self.values()) areas.set(e.area, (areas.get(e.area) ?? 0) + e.us);
  const pct = (us: number) => (busy ? (us / busy) * 100 : 0);
  return {
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    windowed,
    top: [...self.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, topN)
      .map((e) => ({ name: e.name, where: e.where, ms: e.us / 1000, pct: pct(e.us) })),
    byArea: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, ms: us / 1000, pct: pct(us) })),
  };
}
