import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

/** The Dockerfile's stages: each `FROM` with the `COPY` instructions under it. */
function stages(): { from: string; copies: { from?: string; sources: string[]; dest: string }[]; runs: string[] }[] {
  const out: ReturnType<typeof stages> = [];
  for (const line of dockerfile.replace(/\\\n/g, ' ').split('\n')) {
    const from = /^FROM\s+(\S+)/.exec(line);
    if (from) out.push({ from: from[1]!, copies: [], runs: [] });
    const copy = /^COPY\s+(.*)$/.exec(line);
    if (copy) {
      const words = copy[1]!.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const paths = words.filter((w) => !w.startsWith('--'));
      const fromFlag = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      out.at(-1)!.copies.push({ from: fromFlag, sources: paths.slice(0, -1), dest: paths.at(-1)! });
    }
    const run = /^RUN\s+(.*)$/.exec(line);
    if (run) out.at(-1)!.runs.push(run[1]!);
  }
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

/**
 * No Docker engine runs in CI: the image's contents are checked by running its build stage's compile on exactly what
 * the stage copies in, and reading what the runtime stage takes from it.
 */
describe('the Docker image', () => {
  const [build, runtime] = stages();
  let work: string | undefined;
  afterAll(() => work && rmSync(work, { recursive: true, force: true }));

  it('ships only the build stage’s package.json, production node_modules and dist/', () => {
    expect(runtime!.copies.map((c) => ({ from: c.from, sources: c.sources }))).toEqual([
      { from: 'build', sources: ['/app/package.json'] },
      { from: 'build', sources: ['/app/node_modules'] },
      { from: 'build', sources: ['/app/dist'] },
    ]);
    expect(build!.runs.join(' && ')).toContain('npm prune --omit=dev');
  });

  it('compiles src/ alone: its dist/ holds no emulator, tool, demo, test or spec', async () => {
    work = mkdtempSync(join(tmpdir(), 'callbridge-image-'));
    for (const copy of build!.copies) {
      for (const source of copy.sources) cpSync(join(root, source), join(work, source), { recursive: true });
    }
    // The stage's `npm ci` is what node_modules stands for; the compiler is the only thing used from it here.
    symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
    const copied = build!.copies.flatMap((c) => c.sources).sort();
    expect(copied.some((s) => /^(emulators|tools|test|examples|assets)\b/.test(s))).toBe(false);

    await new Promise<void>((resolve, reject) =>
      execFile(
        process.execPath,
        [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
        { cwd: work },
        (err, stdout) => (err ? reject(new Error(`tsc failed: ${stdout}`)) : resolve()),
      ),
    );
    const files = filesUnder(join(work, 'dist'));
    expect(files).toContain('main.js');
    expect(files).toContain(join('media', 'audio', 'analysis-thread.worker.js'));
    const sources = new Set(filesUnder(join(root, 'src')).map((f) => f.replace(/\.ts$/, '')));
    const strays = files.filter((f) => !sources.has(f.replace(/\.(js|d\.ts|js\.map)$/, '')));
    expect(strays).toEqual([]);
    expect(files.filter((f) => /(emulator|bench|vad-eval|demo|\.spec\.)/.test(f))).toEqual([]);
  });
});
