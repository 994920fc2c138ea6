import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulatorStack, type EmulatorStack } from '../emulators/index.js';
import type { CallRecord } from '../src/calls/call-record.js';
import { API_TOKEN, PUBLIC_URL, eventually } from './support/harness.js';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** `node dist/main.js` as production runs it, in `cwd` (no DATABASE_URL: the embedded default, ./data). */
async function startService(cwd: string, stack: EmulatorStack): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [main], {
    cwd,
    env: {
      PATH: process.env.PATH,
      ...stack.env,
      PORT: String(port),
      API_TOKEN,
      MEDIA_MODE: 'fork',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`the service exited: ${stderr}`);
      return (await fetch(`${url}/health/ready`).catch(() => undefined))?.ok ? true : undefined;
    },
    30_000,
    'the service to be ready',
  );
  stack.attachApp(url);
  return { url, child };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

const getCall = async (url: string, callSid: string) => {
  const res = await fetch(`${url}/calls/${callSid}`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  return { status: res.status, record: (await res.json()) as CallRecord };
};

describe('durable calls (the embedded SQLite default)', () => {
  let cwd: string;
  let stack: EmulatorStack;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'callbridge-restart-'));
    stack = await startEmulatorStack({ publicUrl: PUBLIC_URL });
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) await stop(child);
    await stack.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('a call recorded before a SIGTERM restart reads back the same from ./data/callbridge.sqlite', async () => {
    expect(existsSync(main)).toBe(true); // `npm test` builds first
    let service = await startService(cwd, stack);
    child = service.child;
    const outcome = await stack.twilio.runInboundCall({
      from: '+15551112222',
      to: '+15550000000',
      script: { caller: [{ clip: 's1_clean', atMs: 0 }], durationMs: 4000 },
    });
    // Webhooks, Retell events and the media stream's final analytics all stored.
    const before = await eventually(
      async () => {
        const { record } = await getCall(service.url, outcome.callSid);
        return record.state === 'ended' &&
          record.retell?.events.some((e) => e.event === 'call_analyzed') &&
          record.media?.endedAt
          ? record
          : undefined;
      },
      15_000,
      'the call, its Retell events and its analytics to be stored',
    );
    expect(before.twilio.statusHistory.length).toBeGreaterThan(0);
    expect(before.media!.analytics!.talkTimeMs.caller).toBeGreaterThan(0);
    expect(existsSync(join(cwd, 'data', 'callbridge.sqlite'))).toBe(true);

    await stop(service.child);
    service = await startService(cwd, stack);
    child = service.child;

    const after = await getCall(service.url, outcome.callSid);
    expect(after.status).toBe(200);
    expect(after.record).toEqual(before);
    await stop(service.child);
  }, 90_000);
});
