import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { PUBLIC_URL, eventually, startHarness, type Harness } from './support/harness.js';

const caller = { from: '+15551112222', to: '+15550000000' };

describe('call path (Twilio → callbridge → Retell over SIP)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { MEDIA_MODE: 'off' } });
  });
  afterAll(() => h.close());
  afterEach(async () => {
    await h.stack.retell.reset();
  });

  it('answers a signed inbound call with SIP TwiML for the call_id Retell issued, CallSid in its metadata', async () => {
    const outcome = await h.stack.twilio.runInboundCall({ ...caller, script: { durationMs: 300 } });
    const registration = h.stack.retell.registrations.at(-1)!;
    expect(registration.status).toBe(201);
    expect(registration.body).toMatchObject({
      agent_id: 'agent_emulated',
      direction: 'inbound',
      from_number: caller.from,
      to_number: caller.to,
      metadata: { twilio_call_sid: outcome.callSid },
    });
    const voiceTwiml = outcome.twiml[0]!.xml;
    expect(voiceTwiml).toContain(`<Sip>sip:${registration.callId}@${h.stack.retell.sipDomain};transport=tcp</Sip>`);
    expect(voiceTwiml).toContain(`action="${PUBLIC_URL}/twilio/dial-complete"`);
    expect(outcome.dials[0]).toMatchObject({ status: 'completed' });
    const record = await eventually(
      async () => {
        const r = await h.call(outcome.callSid);
        return r.state === 'ended' && r.retell.events.some((e) => e.event === 'call_analyzed') ? r : undefined;
      },
      5000,
      'the call to end with its analysis',
    );
    expect(record).toMatchObject({
      retellCallId: registration.callId,
      direction: 'inbound',
      from: caller.from,
      to: caller.to,
    });
    expect(record.stateTimes).toHaveProperty('registered');
    expect(record.stateTimes).toHaveProperty('connected');
    expect(record.retell.disconnectionReason).toBeDefined();
    expect(record.retell.analysis).toBeDefined();
  });

  it('reuses the registered Retell call when Twilio repeats the voice webhook', async () => {
    const outcome = await h.stack.twilio.runInboundCall({
      ...caller,
      script: { durationMs: 200, voiceWebhookRepeats: 2 },
    });
    expect(
      h.stack.retell.registrations.filter(
        (r) => r.body.metadata && (r.body.metadata as Record<string, unknown>).twilio_call_sid === outcome.callSid,
      ),
    ).toHaveLength(1);
    const record = await h.call(outcome.callSid);
    expect(record.twilio.voiceWebhookCount).toBe(3);
  });

  it.each(['none', 'wrong'] as const)(
    'refuses a voice webhook signed %s with 403 and creates nothing',
    async (signature) => {
      const registrationsBefore = h.stack.retell.registrations.length;
      const params = {
        CallSid: `CAforged${signature}`,
        AccountSid: 'AC1',
        From: caller.from,
        To: caller.to,
        CallStatus: 'ringing',
        Direction: 'inbound',
      };
      const res = await h.stack.twilio.sendWebhook({ url: `${PUBLIC_URL}/twilio/voice`, params, signature });
      expect('status' in res && res.status).toBe(403);
      expect((await h.api(`/calls/${params.CallSid}`)).status).toBe(404);
      expect(h.stack.retell.registrations).toHaveLength(registrationsBefore);
      const status = await h.stack.twilio.sendWebhook({
        url: `${PUBLIC_URL}/twilio/status`,
        params: { ...params, CallStatus: 'completed' },
        signature,
      });
      expect('status' in status && status.status).toBe(403);
      expect((await h.api(`/calls/${params.CallSid}`)).status).toBe(404);
    },
  );

  it('refuses a media stream upgrade without a valid signature', async () => {
    const socket = new WebSocket(`${h.url.replace('http', 'ws')}/twilio/media`);
    const [code, reason] = await new Promise<[number, string]>((resolve) =>
      socket.on('close', (c, r) => resolve([c, r.toString()])),
    );
    expect(code).toBe(1008);
    expect(reason).toBe('invalid signature');
    const forged = new WebSocket(`${h.url.replace('http', 'ws')}/twilio/media`, {
      headers: { 'x-twilio-signature': 'bm9wZQ==' },
    });
    expect(await new Promise<number>((resolve) => forged.on('close', (c) => resolve(c)))).toBe(1008);
  });

  it('reaches the Twilio emulator with the right parameters for an outbound call', async () => {
    const res = await h.api('/calls', {
      method: 'POST',
      body: JSON.stringify({
        to: '+15557654321',
        agentId: 'agent_emulated',
        metadata: { crm: 'lead-42' },
        dynamicVariables: { name: 'Ada' },
      }),
    });
    expect(res.status).toBe(201);
    const { callSid } = (await res.json()) as { callSid: string };
    expect(callSid).toMatch(/^CA[0-9a-f]{32}$/);
    const create = h.stack.twilio.restRequests.find((r) => r.method === 'POST' && r.path.endsWith('/Calls.json'))!;
    expect(create.authorized).toBe(true);
    expect(create.params).toMatchObject({
      To: '+15557654321',
      From: '+15550100000',
      Url: `${PUBLIC_URL}/twilio/voice`,
      Method: 'POST',
      StatusCallback: `${PUBLIC_URL}/twilio/status`,
      StatusCallbackMethod: 'POST',
    });
    expect([create.params.StatusCallbackEvent].flat().join(' ')).toContain('answered');
    const call = [...h.stack.twilio.calls.values()].find((c) => c.callSid === callSid);
    expect(call).toBeDefined();
    expect((await call!.outcome).dials[0]).toMatchObject({ status: 'completed' });
    const record = await eventually(
      async () => {
        const r = await h.call(callSid);
        return r.retellCallId ? r : undefined;
      },
      5000,
      'the outbound call to reach Retell',
    );
    expect(record).toMatchObject({
      direction: 'outbound',
      metadata: { crm: 'lead-42' },
      dynamicVariables: { name: 'Ada' },
    });
    const registration = h.stack.retell.registrations.find((r) => r.callId === record.retellCallId)!;
    expect(registration.body).toMatchObject({
      direction: 'outbound',
      metadata: { crm: 'lead-42', twilio_call_sid: callSid },
    });
    expect(registration.body.retell_llm_dynamic_variables).toMatchObject({ name: 'Ada' });
  });

  it('lists calls newest first, filtered by number, state and time, with a cursor; bad filters are 400', async () => {
    const from = '+15553334444';
    const first = await h.stack.twilio.runInboundCall({ from, to: caller.to, script: { durationMs: 200 } });
    const second = await h.stack.twilio.runInboundCall({ from, to: caller.to, script: { durationMs: 200 } });
    await eventually(async () => ((await h.call(first.callSid)).state === 'ended' ? true : undefined));
    await eventually(async () => ((await h.call(second.callSid)).state === 'ended' ? true : undefined));
    const since = (await h.call(first.callSid)).createdAt;
    type Page = { items: { callSid: string; from: string }[]; nextCursor?: string };
    const page = async (query: string) => (await (await h.api(`/calls?${query}`)).json()) as Page;
    const one = await page(`from=${encodeURIComponent(from)}&state=ended&since=${since}&limit=1`);
    expect(one.items.map((r) => r.callSid)).toEqual([second.callSid]);
    const two = await page(
      `from=${encodeURIComponent(from)}&state=ended&since=${since}&limit=1&cursor=${one.nextCursor}`,
    );
    expect(two.items.map((r) => r.callSid)).toEqual([first.callSid]);
    expect((await page(`from=${encodeURIComponent(from)}&until=${since}`)).items).toEqual([]);
    for (const bad of ['state=lost', 'since=yesterday', 'cursor=NOT-A-CURSOR', 'limit=0']) {
      expect({ bad, status: (await h.api(`/calls?${bad}`)).status }).toEqual({ bad, status: 400 });
    }
  });

  it('rejects /calls without the bearer token and bad bodies with the problem named', async () => {
    expect((await fetch(`${h.url}/calls`, { method: 'POST' })).status).toBe(401);
    const bad = await h.api('/calls', { method: 'POST', body: JSON.stringify({ to: '555' }) });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('E.164');
  });

  it('leaves the right final state when status callbacks arrive out of order', async () => {
    const sid = 'CA' + 'b'.repeat(32);
    const send = (CallStatus: string, SequenceNumber: number) =>
      h.stack.twilio.sendWebhook({
        url: `${PUBLIC_URL}/twilio/status`,
        params: {
          CallSid: sid,
          AccountSid: 'AC1',
          From: caller.from,
          To: caller.to,
          Direction: 'inbound',
          CallStatus,
          SequenceNumber: String(SequenceNumber),
        },
      });
    for (const [status, seq] of [
      ['completed', 3],
      ['initiated', 0],
      ['in-progress', 2],
      ['ringing', 1],
    ] as const) {
      const res = await send(status, seq);
      expect('status' in res && res.status).toBe(204);
    }
    const record = await h.call(sid);
    expect(record.twilio.status).toBe('completed');
    expect(record.twilio.lastSequenceNumber).toBe(3);
    expect(record.state).toBe('ended');
    expect(record.twilio.statusHistory.filter((s) => s.applied).map((s) => s.status)).toEqual(['completed']);
  });
});

describe('Retell unavailable', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { MEDIA_MODE: 'off', FALLBACK_NUMBER: '+15550009999' } });
  });
  afterAll(() => h.close());
  afterEach(async () => {
    await h.stack.retell.reset();
    await h.stack.retell.up();
  });

  async function fallbackCall() {
    const started = performance.now();
    const call = h.stack.twilio.placeInboundCall({ ...caller, script: { durationMs: 200 } });
    const outcome = await call.outcome;
    const voice = outcome.webhooks.find((w) => w.purpose === 'voice')!;
    return { outcome, voiceMs: voice.ms!, elapsed: performance.now() - started };
  }

  it('Retell slow: the fallback TwiML without waiting for Retell, and the record says why', async () => {
    // The registration deadline (2 s, under Twilio's 15 s webhook limit) answers long before this Retell would.
    h.stack.retell.setLatency(8000);
    const { outcome, voiceMs } = await fallbackCall();
    expect(voiceMs).toBeLessThan(8000);
    expect(outcome.twiml[0]!.xml).toMatch(/<Say>[^<]+<\/Say><Dial>\+15550009999<\/Dial>/);
    expect(outcome.transfers).toEqual(['+15550009999']);
    const record = await h.call(outcome.callSid);
    expect(record).toMatchObject({ stateReason: 'retell_timeout', stateTimes: { fallback: expect.any(String) } });
  });

  it('Retell down: the fallback TwiML', async () => {
    await h.stack.retell.down();
    const { outcome } = await fallbackCall();
    expect(outcome.twiml[0]!.xml).toContain('<Dial>+15550009999</Dial>');
    expect(outcome.twiml[0]!.xml).not.toContain('<Sip>');
    expect(await h.call(outcome.callSid)).toMatchObject({ stateReason: 'retell_unreachable' });
  });

  it('Retell answering 500: fallback, with the reason on the record', async () => {
    h.stack.retell.failWith(500);
    const { outcome } = await fallbackCall();
    expect(outcome.twiml[0]!.xml).not.toContain('<Sip>');
    expect(await h.call(outcome.callSid)).toMatchObject({
      stateReason: 'retell_error',
      stateTimes: { fallback: expect.any(String) },
    });
  });
});

describe('Retell webhooks', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { MEDIA_MODE: 'off' } });
  });
  afterAll(() => h.close());

  it('refuses a wrong signature with 401, stores a correct one, and a retried one once', async () => {
    const outcome = await h.stack.twilio.runInboundCall({ ...caller, script: { durationMs: 200 } });
    const callId = (await h.call(outcome.callSid)).retellCallId!;
    await eventually(async () =>
      (await h.call(outcome.callSid)).retell.events.some((e) => e.event === 'call_analyzed') ? true : undefined,
    );
    const before = (await h.call(outcome.callSid)).retell.events.length;

    for (const signature of ['wrong', 'none', 'stale'] as const) {
      const forged = await h.stack.retell.sendEvent(callId, 'transfer_started', { signature });
      expect({ signature, status: forged.status }).toEqual({ signature, status: 401 });
    }
    expect((await h.call(outcome.callSid)).retell.events).toHaveLength(before);

    const stored = await h.stack.retell.sendEvent(callId, 'transfer_started');
    expect(stored.status).toBe(204);
    expect((await h.call(outcome.callSid)).retell.events).toHaveLength(before + 1);
    // Retell retries a delivery with the same body: twice more, acknowledged, stored once.
    const retries = [
      await h.stack.retell.resend(callId, 'call_ended'),
      await h.stack.retell.resend(callId, 'call_ended'),
    ];
    expect(retries.map((r) => r.status)).toEqual([204, 204]);
    const events = (await h.call(outcome.callSid)).retell.events.map((e) => e.event);
    expect(events).toHaveLength(before + 1);
    expect(events.filter((e) => e === 'call_ended')).toHaveLength(1);
    expect(events.filter((e) => e === 'transfer_started')).toHaveLength(1);
  });

  it('routes custom functions by name, 404 with a JSON error for an unknown one, 401 unsigned', async () => {
    const unknown = await h.stack.retell.invokeFunction(`${PUBLIC_URL}/retell/functions/nope`, {
      name: 'nope',
      args: {},
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error: 'unknown_function' });
    const unsigned = await h.stack.retell.invokeFunction(`${PUBLIC_URL}/retell/functions/nope`, {
      name: 'nope',
      args: {},
      signature: 'none',
    });
    expect(unsigned.status).toBe(401);
  });
});

describe('a bad environment', () => {
  const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

  it('stops the process with exit code 1, naming each bad variable and printing no secret', () => {
    expect(existsSync(main)).toBe(true); // `npm test` builds first
    const result = spawnSync(process.execPath, [main], {
      env: {
        PATH: process.env.PATH,
        PUBLIC_URL: 'not a url',
        MEDIA_MODE: 'relay',
        TWILIO_AUTH_TOKEN: 'leaky-secret',
        PORT: '99999',
      },
      encoding: 'utf8',
      timeout: 20_000,
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    });
    expect(result.status).toBe(1);
    for (const variable of [
      'PUBLIC_URL',
      'PORT',
      'TWILIO_ACCOUNT_SID',
      'TWILIO_AUTH_TOKEN',
      'RETELL_API_KEY',
      'RETELL_AGENT_ID',
      'API_TOKEN',
      'AGENT_STREAM_URL',
    ]) {
      expect(result.stderr).toContain(variable);
    }
    expect(result.stderr).not.toContain('leaky-secret');
  });
});
