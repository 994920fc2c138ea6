import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { CallsService } from '../calls/calls.service.js';
import { InMemoryCallStore } from '../calls/in-memory-call-store.js';
import { CallLogContext } from '../logging/call-log-context.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { OutboundCallService } from './outbound-call.service.js';
import { BaseUrlRequestClient } from './twilio-base-url.request-client.js';
import { TwilioCallControl } from './twilio-call-control.js';
import { TwilioRestRetry } from './twilio-rest-retry.js';
import { TwilioSignatureValidator } from './twilio-signature.validator.js';
import { resolveTwilioOptions, type TwilioRestOptions } from './twilio.options.js';
import { TwimlFactory } from './twiml.factory.js';

/** How the stand-in Twilio answers one request: a status and Twilio error code, or no answer at all. */
type Reply = { status: number; code?: number } | 'hang';

/**
 * A local HTTP server in Twilio's place, answering each REST request with the next scripted reply: the real `twilio`
 * client talks to it, so its errors have the shapes production sees.
 */
class ScriptedTwilio {
  readonly requests: { method: string; path: string; body: string }[] = [];
  private readonly server: Server;
  private readonly held: ServerResponse[] = [];
  private replies: Reply[] = [];

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  script(...replies: Reply[]): void {
    this.replies = replies;
  }

  async close(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    this.requests.push({ method: req.method ?? '', path: req.url ?? '', body });
    const reply = this.replies.shift() ?? { status: 200 };
    if (reply === 'hang') {
      this.held.push(res);
      return;
    }
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    const sid = 'CA' + 'f'.repeat(32);
    res.end(
      JSON.stringify(
        reply.status < 400
          ? { sid, status: 'queued', account_sid: ACCOUNT }
          : { code: reply.code ?? reply.status, message: `scripted ${reply.status}`, status: reply.status },
      ),
    );
  }
}

const ACCOUNT = 'AC' + '0'.repeat(32);
const CALL = 'CA' + '1'.repeat(32);
/** Backoff in single milliseconds: what is asserted is which errors are retried, never how long it took. */
const FAST: TwilioRestOptions = { timeoutMs: 300, retries: 3, minDelayMs: 1, maxDelayMs: 4, maxElapsedMs: 10_000 };

function setup(baseUrl: string, rest: TwilioRestOptions = FAST) {
  const options = resolveTwilioOptions({
    accountSid: ACCOUNT,
    authToken: 'token-token-token',
    publicUrl: 'https://cb.example.com',
    phoneNumber: '+15550100000',
    rest,
  });
  const client = twilio(ACCOUNT, options.authToken, {
    autoRetry: false,
    httpClient: new BaseUrlRequestClient(baseUrl, { timeout: options.rest.timeoutMs }),
  });
  const metrics = new MetricsService();
  const retry = new TwilioRestRetry(options, metrics);
  const twiml = new TwimlFactory(options, new TwilioSignatureValidator(options));
  const control = new TwilioCallControl(client, retry, twiml);
  const outbound = new OutboundCallService(
    client,
    options,
    new CallsService(new InMemoryCallStore()),
    retry,
    new CallLogContext(),
  );
  const attempts = async (operation: string, result: string) =>
    (await metrics.twilioRestAttempts.get()).values.find(
      (v) => v.labels.operation === operation && v.labels.result === result,
    )?.value ?? 0;
  return { control, outbound, retry, attempts };
}

/** A port nothing listens on: connections are refused before any byte of a request is sent. */
async function closedPort(): Promise<string> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const url = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((resolve) => probe.close(resolve));
  return url;
}

describe(TwilioCallControl.name, () => {
  let twilioSide: ScriptedTwilio;
  let url: string;
  beforeEach(async () => {
    twilioSide = new ScriptedTwilio();
    url = await twilioSide.start();
  });
  afterEach(() => twilioSide.close());

  it('retries a hang-up through 503 and 500 until Twilio applies it, and counts every attempt', async () => {
    const { control, attempts } = setup(url);
    twilioSide.script({ status: 503 }, { status: 500 }, { status: 200 });
    expect(await control.hangUp(CALL)).toEqual({ outcome: 'updated', attempts: 3 });
    expect(twilioSide.requests.map((r) => r.body)).toEqual(Array(3).fill('Status=completed'));
    expect(await attempts('hangup', 'retried')).toBe(2);
    expect(await attempts('hangup', 'ok')).toBe(1);
  });

  it('says `gone` for a call that already ended (20404), without retrying', async () => {
    const { control, attempts } = setup(url);
    twilioSide.script({ status: 404, code: 20404 });
    expect(await control.redirectToFallback(CALL)).toEqual({ outcome: 'gone', attempts: 1 });
    expect(decodeURIComponent(twilioSide.requests[0]!.body)).toContain('Twiml=<?xml');
    expect(await attempts('fallback', 'gone')).toBe(1);
  });

  it('never retries a 4xx other than 429, and reports it', async () => {
    const { control } = setup(url);
    twilioSide.script({ status: 400, code: 21220 });
    expect(await control.hangUp(CALL)).toEqual({
      outcome: 'failed',
      attempts: 1,
      error: { status: 400, code: 21220, message: 'scripted 400' },
    });
  });

  it('retries a transfer after 429 and 503 (refused before processing), but not after a timeout', async () => {
    const { control } = setup(url);
    twilioSide.script({ status: 429, code: 20429 }, { status: 503 }, { status: 200 });
    expect(await control.redirect(CALL, '<Response><Dial>+15550001111</Dial></Response>')).toMatchObject({
      outcome: 'updated',
      attempts: 3,
    });
    twilioSide.script('hang', { status: 200 });
    const timedOut = await control.redirect(CALL, '<Response><Dial>+15550001111</Dial></Response>');
    // Twilio may have applied it: a second attempt would ring the target twice.
    expect(timedOut).toMatchObject({ outcome: 'failed', attempts: 1, error: { code: 'ECONNABORTED' } });
  });

  it('retries an idempotent redirect and the fallback after a timeout', async () => {
    const { control } = setup(url);
    twilioSide.script('hang', { status: 200 });
    expect(await control.redirect(CALL, '<Response><Hangup/></Response>', { idempotent: true })).toEqual({
      outcome: 'updated',
      attempts: 2,
    });
    twilioSide.script('hang', { status: 200 });
    expect(await control.redirectToFallback(CALL)).toEqual({ outcome: 'updated', attempts: 2 });
  });

  it('gives up after `retries` retries', async () => {
    const { control } = setup(url, { ...FAST, retries: 2 });
    twilioSide.script({ status: 500 }, { status: 500 }, { status: 500 }, { status: 200 });
    expect(await control.hangUp(CALL)).toMatchObject({ outcome: 'failed', attempts: 3, error: { status: 500 } });
  });

  it('starts no retry once `maxElapsedMs` has passed', async () => {
    const { control } = setup(url, { ...FAST, retries: 10, maxElapsedMs: 0 });
    twilioSide.script({ status: 500 }, { status: 200 });
    expect(await control.hangUp(CALL)).toMatchObject({ outcome: 'failed', attempts: 1 });
  });

  it('stops retrying at shutdown', async () => {
    const { control, retry } = setup(url, { ...FAST, minDelayMs: 60_000, maxDelayMs: 60_000 });
    twilioSide.script({ status: 500 }, { status: 200 });
    const pending = control.hangUp(CALL);
    await new Promise((resolve) => setTimeout(resolve, 50));
    retry.onApplicationShutdown();
    expect(await pending).toMatchObject({ outcome: 'failed', attempts: 1, error: { status: 500 } });
  });
});

describe(`${OutboundCallService.name} (calls.create)`, () => {
  let twilioSide: ScriptedTwilio;
  let url: string;
  beforeEach(async () => {
    twilioSide = new ScriptedTwilio();
    url = await twilioSide.start();
  });
  afterEach(() => twilioSide.close());

  it('retries a create Twilio refused before processing it (429, 503)', async () => {
    const { outbound } = setup(url);
    twilioSide.script({ status: 429, code: 20429 }, { status: 503 }, { status: 201 });
    expect(await outbound.place({ to: '+15557654321' })).toEqual({ callSid: 'CA' + 'f'.repeat(32) });
    expect(twilioSide.requests).toHaveLength(3);
  });

  it('does not retry a create after a timeout or a 500: the call may exist, and would ring twice', async () => {
    const { outbound } = setup(url);
    twilioSide.script('hang', { status: 201 });
    await expect(outbound.place({ to: '+15557654321' })).rejects.toMatchObject({ status: 502 });
    twilioSide.script({ status: 500 }, { status: 201 });
    await expect(outbound.place({ to: '+15557654321' })).rejects.toMatchObject({ status: 502 });
    expect(twilioSide.requests).toHaveLength(2);
  });

  it('answers 422 for a number Twilio rejects, at once', async () => {
    const { outbound } = setup(url);
    twilioSide.script({ status: 400, code: 21211 });
    await expect(outbound.place({ to: '+15557654321' })).rejects.toMatchObject({
      status: 422,
      response: { error: 'twilio_rejected', twilioCode: 21211 },
    });
    expect(twilioSide.requests).toHaveLength(1);
  });

  it('retries a create whose connection was refused (nothing was sent), up to its budget', async () => {
    const { outbound, attempts } = setup(await closedPort(), { ...FAST, retries: 2 });
    await expect(outbound.place({ to: '+15557654321' })).rejects.toMatchObject({ status: 502 });
    expect(await attempts('create', 'retried')).toBe(2);
    expect(await attempts('create', 'failed')).toBe(1);
  });
});
