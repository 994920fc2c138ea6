import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** `npm run demo` must keep working on a fresh clone: run it (built by `npm test`) through one call. */
describe('npm run demo', () => {
  it('places a call against the emulators and prints its timeline, analytics and stored record', async () => {
    const demo = fileURLToPath(new URL('../.build/tools/demo/demo.js', import.meta.url));
    expect(existsSync(demo)).toBe(true);
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    const child = spawn(process.execPath, [demo, '--exit'], {
      env: { PATH: process.env.PATH, PORT: String(port) },
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect({ code, tail: code === 0 ? '' : out.slice(-2000) }).toEqual({ code: 0, tail: '' });
    for (const step of [
      'voice POST',
      'register-phone-call',
      '<Start> <Stream both_tracks>',
      '<Sip>',
      'stream fork started',
      'call_started',
      'call_ended',
      'call_analyzed',
      'call ended (completed)',
    ]) {
      expect({ step, shown: out.includes(step) }).toEqual({ step, shown: true });
    }
    expect(out).toMatch(/agent response latency\s+\d+ ms/);
    expect(out).toMatch(/interruption\s+at \d+ ms, agent yielded after \d+ ms/);
    expect(out).toMatch(/DTMF\s+"0" at \d+ ms/);
    expect(out).toContain('"state": "ended"');
  });
});
