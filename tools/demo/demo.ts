/**
 * `npm run demo`: the real app on embedded defaults, with local Twilio and Retell emulators speaking the real wire
 * protocols. One inbound call: the caller asks, the agent answers after a pause, the caller cuts in, and presses 0.
 * Prints the call's timeline as it happens, the conversation analytics and the stored record, then keeps running
 * for `curl` until Ctrl-C (`--exit` ends right after the call).
 */
import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.factory.js';
import type { CallRecord } from '../../src/calls/call-record.js';
import {
  formatTimelineEvent,
  startEmulatorStack,
  type EmulatorStack,
  type TimelineEvent,
} from '../../emulators/index.js';

const API_TOKEN = 'demo-token-not-for-production';
const CALLER = '+14155550123';
const OUR_NUMBER = '+14155550100';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[22m` : s);
const say = (s = '') => process.stdout.write(s + '\n');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function main(): Promise<void> {
  const exitAfterCall = process.argv.includes('--exit');
  const port = process.env.PORT && process.env.PORT !== '0' ? Number(process.env.PORT) : 3000;
  const listenPort = (await portIsFree(port)) ? port : await freePort();
  const base = `http://localhost:${listenPort}`;

  const stack = await startEmulatorStack({ publicUrl: base });
  // The embedded default store (SQLite), in a file of the demo's own: a demo call never lands in ./data.
  const dataDir = mkdtempSync(join(tmpdir(), 'callbridge-demo-'));
  let app: NestExpressApplication | undefined;
  const shutdown = async (code: number) => {
    await stack.close().catch(() => undefined);
    await app?.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));

  try {
    app = await createApp({
      env: {
        ...stack.env,
        PORT: String(listenPort),
        API_TOKEN,
        TWILIO_PHONE_NUMBER: OUR_NUMBER,
        MEDIA_MODE: 'fork',
        DATABASE_URL: `file:${join(dataDir, 'callbridge.sqlite')}`,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      },
    });
    await app.listen(listenPort, '127.0.0.1');
    stack.attachApp(`http://127.0.0.1:${listenPort}`);
  } catch (err) {
    process.stderr.write(`demo: the app did not start: ${(err as Error).message}\n`);
    return shutdown(1);
  }

  say(
    bold(`callbridge is up at ${base}`) +
      ` (Twilio emulator ${stack.twilio.baseUrl}, Retell emulator ${stack.retell.baseUrl})`,
  );
  say(
    `Placing a call from ${CALLER} to ${OUR_NUMBER}: the caller asks, the agent answers, the caller cuts in, then presses 0.\n`,
  );
  say(bold('Timeline'));
  const print = (e: TimelineEvent) => say('  ' + formatTimelineEvent(e));
  stack.twilio.on('timeline', print);

  const outcome = await stack.twilio.runInboundCall({
    from: CALLER,
    to: OUR_NUMBER,
    script: {
      caller: [
        { clip: 's1_clean', atMs: 0, text: 'Hello, I would like to check on my order.' },
        { clip: 's2_pink_snr20', atMs: 12_720, text: 'Sorry, one more thing.' },
        { clip: 'dtmf_0', atMs: 20_300 },
      ],
      agent: [{ clip: 's2_clean', atMs: 8280, text: 'Of course, let me look that up for you.' }],
      durationMs: 22_000,
    },
  });
  stack.twilio.off('timeline', print);

  const record = await waitForRecord(base, outcome.callSid);
  const a = record.media?.analytics;
  say('\n' + bold('Conversation, measured live from the forked audio'));
  if (a) {
    say(`  agent response latency  ${a.responseLatenciesMs.map((ms) => `${ms} ms`).join(', ') || '—'}`);
    for (const i of a.interruptions)
      say(`  interruption            at ${i.at} ms, agent yielded after ${i.yieldMs ?? '—'} ms`);
    say(`  dead air                ${a.deadAir.totalMs} ms in all, longest ${a.deadAir.longestMs} ms`);
    say(
      `  talk time               caller ${a.talkTimeMs.caller} ms, agent ${a.talkTimeMs.agent} ms, overlap ${a.overlapMs} ms`,
    );
    say(`  DTMF                    ${a.dtmf.map((d) => `"${d.digit}" at ${d.at} ms`).join(', ') || '—'}`);
  }
  say('\n' + bold(`Stored record  (GET ${base}/calls/${outcome.callSid})`));
  say(JSON.stringify(record, null, 2));

  if (exitAfterCall) return shutdown(record.state === 'ended' ? 0 : 1);
  say('\n' + bold('Still running. Try:'));
  say(`  curl -s -H 'Authorization: Bearer ${API_TOKEN}' ${base}/calls | head -c 600`);
  say(`  curl -s -X POST -H 'Authorization: Bearer ${API_TOKEN}' -H 'Content-Type: application/json' \\`);
  say(`       -d '{"to":"+14155550199","dynamicVariables":{"name":"Ada"}}' ${base}/calls`);
  say(`  curl -s ${base}/health/ready`);
  say(`  curl -s ${base}/metrics | grep callbridge_`);
  say('Ctrl-C to stop.');
}

/** The record once the stream's final analytics and Retell's analysis are in. */
async function waitForRecord(base: string, callSid: string): Promise<CallRecord> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await fetch(`${base}/calls/${callSid}`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    const record = (await res.json()) as CallRecord;
    const done =
      record.media?.endedAt &&
      record.retell.events.some((e) => e.event === 'call_analyzed') &&
      record.state === 'ended';
    if (done || Date.now() > deadline) return record;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer().once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

void main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

export type { EmulatorStack };
