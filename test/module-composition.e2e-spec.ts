import { Module, type DynamicModule } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from 'nestjs-pino';
import twilio from 'twilio';
import WebSocket from 'ws';
import { CallsModule } from '../src/calls/calls.module.js';
import { LoggingModule } from '../src/logging/logging.module.js';
import type { AudioProcessor } from '../src/media/audio/audio-processor.interface.js';
import { MediaModule } from '../src/media/media.module.js';
import type { MediaModuleOptions } from '../src/media/media.options.js';
import { createTwilioWsAdapter } from '../src/media/twilio-ws.adapter.js';
import { MetricsModule } from '../src/metrics/metrics.module.js';
import { RetellModule } from '../src/retell/retell.module.js';
import { MediaStreamPlanSource } from '../src/twilio/media-stream-plan.source.js';
import { TwilioModule } from '../src/twilio/twilio.module.js';
import { startEmulatorStack, type EmulatorStack } from '../emulators/index.js';

const PUBLIC_URL = 'https://embedded.test';

/** Hears nothing: these tests are about wiring, not audio. */
const deafProcessor: AudioProcessor = {
  open: () => ({
    push: () => undefined,
    end: () => undefined,
    close: () => undefined,
    stats: {
      framesIn: 0,
      framesReordered: 0,
      framesLate: 0,
      framesDuplicate: 0,
      framesMissing: 0,
      modelWindows: 0,
      gatedWindows: 0,
    },
  }),
};

/** The modules as a company would import them into its own app, each from its options (no environment). */
function modules(
  stack: EmulatorStack,
  extra: { logFile?: string; media?: MediaModuleOptions | false },
): DynamicModule[] {
  const env = stack.env;
  return [
    LoggingModule.forRoot({
      level: extra.logFile ? 'info' : 'silent',
      ...(extra.logFile ? { destination: extra.logFile } : {}),
    }),
    { module: MetricsModule },
    EventEmitterModule.forRoot(),
    CallsModule.forRoot({ isGlobal: true, databaseUrl: 'memory:' }),
    RetellModule.forRoot({
      isGlobal: true,
      apiKey: env.RETELL_API_KEY!,
      agentId: env.RETELL_AGENT_ID!,
      baseUrl: env.RETELL_BASE_URL,
      sipDomain: env.RETELL_SIP_DOMAIN,
    }),
    TwilioModule.forRoot({
      isGlobal: true,
      accountSid: env.TWILIO_ACCOUNT_SID!,
      authToken: env.TWILIO_AUTH_TOKEN!,
      apiBaseUrl: env.TWILIO_API_BASE_URL,
      publicUrl: PUBLIC_URL,
    }),
    ...(extra.media === false ? [] : [MediaModule.forRoot({ audioProcessor: deafProcessor, ...extra.media })]),
  ];
}

async function boot(stack: EmulatorStack, extra: Parameters<typeof modules>[1]): Promise<NestExpressApplication> {
  const ref = await Test.createTestingModule({ imports: modules(stack, extra) }).compile();
  const app = ref.createNestApplication<NestExpressApplication>({ rawBody: true, bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.useWebSocketAdapter(createTwilioWsAdapter(app));
  app.useBodyParser('urlencoded', { extended: false });
  await app.listen(0, '127.0.0.1');
  stack.attachApp(`http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`);
  return app;
}

describe('the modules composed by hand, as an embedding app would', () => {
  let stack: EmulatorStack;
  let app: NestExpressApplication;
  let dir: string;
  let logFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'callbridge-logs-'));
    logFile = join(dir, 'app.log');
    stack = await startEmulatorStack({ publicUrl: PUBLIC_URL });
    app = await boot(stack, { logFile, media: { maxFrameBytes: 16 * 1024, maxSocketPayloadBytes: 32 * 1024 } });
  });
  afterAll(async () => {
    await stack.close();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const signedSocket = async () => {
    const url = `${PUBLIC_URL.replace('https', 'wss')}/twilio/media`;
    const socket = new WebSocket(`${stack.twilio.urlMap.toReal(url)}`, {
      headers: { 'x-twilio-signature': twilio.getExpectedTwilioSignature(stack.env.TWILIO_AUTH_TOKEN!, url, {}) },
    });
    await new Promise((resolve) => socket.once('open', resolve));
    return socket;
  };

  it('applies MediaModule’s maxSocketPayloadBytes: a bigger message closes the socket (1009), a big frame under it is only dropped', async () => {
    const socket = await signedSocket();
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    socket.send('x'.repeat(20 * 1024)); // over maxFrameBytes: counted and dropped, the socket stays
    socket.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(socket.readyState).toBe(WebSocket.OPEN);
    socket.send('x'.repeat(40 * 1024));
    expect(await closed).toBe(1009);
  });

  it('logs JSON lines through nestjs-pino, the CallSid on each line about the call, and none a forged request claims', async () => {
    const outcome = await stack.twilio.runInboundCall({
      from: '+15551112222',
      to: '+15550000000',
      script: { durationMs: 300 },
    });
    const forged = await stack.twilio.sendWebhook({
      url: `${PUBLIC_URL}/twilio/status`,
      params: { CallSid: 'CAforgedforgedforged', CallStatus: 'completed' },
      signature: 'wrong',
    });
    expect('status' in forged && forged.status).toBe(403);
    const lines = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const about = (context: string) => lines.filter((l) => l.context === context);
    expect(about('VoiceCallService').length).toBeGreaterThan(0);
    for (const line of [...about('VoiceCallService'), ...about('CallStatusService'), ...about('RetellEventsService')]) {
      expect({ msg: line.msg, callSid: line.callSid }).toEqual({ msg: line.msg, callSid: outcome.callSid });
    }
    const rejected = lines.find((l) => l.msg === 'twilio signature rejected');
    expect(rejected).toMatchObject({ context: 'TwilioSignatureGuard', path: '/twilio/status' });
    expect(rejected).not.toHaveProperty('callSid');
    const text = readFileSync(logFile, 'utf8');
    expect(text).not.toContain('CAforgedforgedforged');
    expect(text).not.toContain(stack.env.TWILIO_AUTH_TOKEN!);
    expect(text).not.toContain(stack.env.RETELL_API_KEY!);
  });
});

describe('one media setting: the voice webhook follows the MediaModule the app has, wherever it is imported', () => {
  let stack: EmulatorStack;
  beforeAll(async () => {
    stack = await startEmulatorStack({ publicUrl: PUBLIC_URL });
  });
  afterAll(() => stack.close());

  async function planOf(media: MediaModuleOptions | false, nested = false) {
    let imports = modules(stack, { media });
    if (nested && media !== false) {
      // MediaModule inside a feature module of the app, not global and not imported by TwilioModule.
      @Module({ imports: [MediaModule.forRoot({ audioProcessor: deafProcessor, ...media })] })
      class VoiceFeatureModule {}
      imports = [...modules(stack, { media: false }), { module: VoiceFeatureModule }];
    }
    // An application context: the lookup runs at init, no server needed.
    const context = await (await Test.createTestingModule({ imports }).compile()).init();
    try {
      return context.get(MediaStreamPlanSource).current;
    } finally {
      await context.close();
    }
  }

  it.each([
    ['fork', { kind: 'fork' }],
    ['relay', { kind: 'connect' }],
    ['off', { kind: 'none' }],
  ] as const)('mode %s → %j', async (mode, plan) => {
    const media: MediaModuleOptions = mode === 'relay' ? { mode, agentStreamUrl: 'ws://127.0.0.1:9/agent' } : { mode };
    expect(await planOf(media, true)).toEqual(plan);
  });

  it('without MediaModule TwilioModule dials the agent with no stream', async () => {
    expect(await planOf(false)).toEqual({ kind: 'none' });
  });
});
