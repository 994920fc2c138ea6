import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.factory.js';
import type { CallRecord } from '../../src/calls/call-record.js';
import { startEmulatorStack, type EmulatorStack, type EmulatorStackOptions } from '../../emulators/index.js';

/** What the app believes its URL is; the emulators sign against it and deliver to the real address. */
export const PUBLIC_URL = 'https://callbridge.test';
export const API_TOKEN = 'e2e-api-token-0123456789';

/**
 * The real app, booted in-process on a free port against the emulators. The e2e project maps `src/` imports to the
 * build in `dist/` (jest.config.js): the app is the compiled one that ships, so build before running these suites.
 */
export interface Harness {
  readonly app: NestExpressApplication;
  readonly stack: EmulatorStack;
  /** The app's real base URL (`http://127.0.0.1:<port>`). */
  readonly url: string;
  /** Calls the `/calls` API with the bearer token. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** `GET /calls/:callSid`. */
  call(callSid: string): Promise<CallRecord>;
  /** The app's call store: a SQLite file of this harness's own unless `env` set `DATABASE_URL`. */
  readonly databaseUrl: string;
  /** Stops the emulators and the app, then removes the harness's database. */
  close(): Promise<void>;
  /** Removes the harness's database (after the app closed); `close` does it too. */
  removeData(): void;
}

export interface HarnessOptions extends Omit<EmulatorStackOptions, 'publicUrl'> {
  /** Settings over the emulator stack's. */
  readonly env?: Readonly<Record<string, string>>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const { env, ...stackOptions } = options;
  // Every harness its own store, so suites never share ./data: the embedded default (SQLite), in a temp folder.
  const dataDir = mkdtempSync(join(tmpdir(), 'callbridge-e2e-'));
  const removeData = () => rmSync(dataDir, { recursive: true, force: true });
  const databaseUrl = env?.DATABASE_URL ?? `file:${join(dataDir, 'calls.sqlite')}`;
  const stack = await startEmulatorStack({ publicUrl: PUBLIC_URL, ...stackOptions });
  let app: NestExpressApplication | undefined;
  try {
    app = await createApp({
      env: {
        ...stack.env,
        API_TOKEN,
        TWILIO_PHONE_NUMBER: '+15550100000',
        LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'silent',
        DATABASE_URL: databaseUrl,
        // The suites assert what the analysis hears, not how the OS schedules it: an idle-priority thread on a box
        // busy with other work would move its calls to the event loop mid-turn.
        VAD_THREAD_PRIORITY: 'normal',
        ...env,
      },
    });
    await app.listen(0, '127.0.0.1');
  } catch (err) {
    await app?.close();
    await stack.close();
    removeData();
    throw err;
  }
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  stack.attachApp(url);
  const booted = app;
  return {
    app: booted,
    stack,
    url,
    api: (path, init = {}) =>
      fetch(url + path, {
        ...init,
        headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json', ...init.headers },
      }),
    call: async (callSid) =>
      (await (
        await fetch(`${url}/calls/${callSid}`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
      ).json()) as CallRecord,
    databaseUrl,
    close: async () => {
      await stack.close();
      await booted.close();
      removeData();
    },
    removeData,
  };
}

/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
