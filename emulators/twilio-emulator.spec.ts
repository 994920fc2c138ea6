import { createServer, type IncomingMessage, type Server } from 'node:http';
import Retell from 'retell-sdk';
import twilio from 'twilio';
import { WebSocketServer, type WebSocket } from 'ws';
import { BaseUrlRequestClient } from '../src/twilio/twilio-base-url.request-client.js';
import { closeServer, listen, parseForm, readBody } from './emulator-http.js';
import { RetellEmulator } from './retell-emulator.js';
import { TwilioEmulator } from './twilio-emulator.js';

const ACCOUNT_SID = 'AC' + 'a'.repeat(32);
const AUTH_TOKEN = 'twilio_auth_token';
const RETELL_KEY = 'retell_key';
const PUBLIC_URL = 'https://callbridge.test';

type Params = Record<string, string>;

/**
 * A minimal stand-in for callbridge: validates every Twilio signature against the PUBLIC URL, registers calls with
 * Retell through the real SDK, answers TwiML, accepts the media stream, and records everything.
 */
async function fakeApp(retellBaseUrl: string, opts: { mode?: 'fork' | 'connect'; connectCloseAfterMs?: number } = {}) {
  const retell = new Retell({ apiKey: RETELL_KEY, baseURL: retellBaseUrl, maxRetries: 0 });
  const hits: { path: string; params: Params; signatureValid: boolean; at: number }[] = [];
  const retellEvents: { event: string; call: Record<string, unknown> }[] = [];
  const streamFrames: Record<string, unknown>[] = [];
  const upgrades: { signatureValid: boolean }[] = [];
  let fallbackNumber = '+15550009999';
  const server: Server = createServer(async (req, res) => {
    const raw = (await readBody(req)).toString('utf8');
    const path = req.url ?? '';
    if (path === '/retell/webhook') {
      retellEvents.push(JSON.parse(raw) as { event: string; call: Record<string, unknown> });
      res.writeHead(204).end();
      return;
    }
    const params = parseForm(raw) as Params;
    const sig = req.headers['x-twilio-signature'];
    const signatureValid =
      typeof sig === 'string' && twilio.validateRequest(AUTH_TOKEN, sig, PUBLIC_URL + path, params);
    hits.push({ path, params, signatureValid, at: performance.now() });
    if (!signatureValid) {
      res.writeHead(403).end();
      return;
    }
    const xml = (body: string) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(body);
    };
    const vr = new twilio.twiml.VoiceResponse();
    if (path === '/twilio/voice') {
      if (opts.mode === 'connect') {
        const s = vr.connect().stream({ url: `wss://callbridge.test/twilio/media` });
        s.parameter({ name: 'callSid', value: params.CallSid! });
        vr.say('The agent left.');
        return xml(vr.toString());
      }
      const reg = await retell.call.registerPhoneCall({
        agent_id: 'agent_1',
        direction: params.Direction === 'inbound' ? 'inbound' : 'outbound',
        from_number: params.From,
        to_number: params.To,
        metadata: { twilio_call_sid: params.CallSid },
      });
      const stream = vr.start().stream({
        url: 'wss://callbridge.test/twilio/media',
        track: 'both_tracks',
        statusCallback: `${PUBLIC_URL}/twilio/stream-status`,
      });
      stream.parameter({ name: 'callSid', value: params.CallSid! });
      stream.parameter({ name: 'retellCallId', value: reg.call_id });
      const sipId = path.includes('bad') ? 'call_unknown' : reg.call_id;
      vr.dial({ action: `${PUBLIC_URL}/twilio/dial-complete`, answerOnBridge: true }).sip(
        `sip:${sipId}@sip.retellai.com;transport=tcp`,
      );
      return xml(vr.toString());
    }
    if (path === '/twilio/voice-bad') {
      vr.dial({ action: `${PUBLIC_URL}/twilio/dial-complete`, answerOnBridge: true }).sip(
        'sip:call_unknown@sip.retellai.com;transport=tcp',
      );
      return xml(vr.toString());
    }
    if (path === '/twilio/dial-complete') {
      if (params.DialCallStatus === 'completed') vr.hangup();
      else {
        vr.say('Sorry, we cannot take your call right now.');
        vr.dial(fallbackNumber);
      }
      return xml(vr.toString());
    }
    res.writeHead(204).end();
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    const sig = req.headers['x-twilio-signature'];
    const signatureValid =
      typeof sig === 'string' && twilio.validateRequest(AUTH_TOKEN, sig, 'wss://callbridge.test' + req.url, {});
    upgrades.push({ signatureValid });
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      ws.on('message', (d) => {
        const f = JSON.parse(d.toString()) as Record<string, unknown>;
        streamFrames.push(f);
        if (f.event === 'start' && opts.connectCloseAfterMs !== undefined)
          setTimeout(() => ws.close(1000, 'bye'), opts.connectCloseAfterMs);
      });
    });
  });
  const port = await listen(server, '127.0.0.1', 0);
  return {
    appUrl: `http://127.0.0.1:${port}`,
    hits,
    retellEvents,
    streamFrames,
    upgrades,
    setFallbackNumber: (n: string) => (fallbackNumber = n),
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await closeServer(server);
    },
  };
}

describe(TwilioEmulator.name, () => {
  let retell: RetellEmulator;
  let tw: TwilioEmulator;
  let app: Awaited<ReturnType<typeof fakeApp>>;
  let client: twilio.Twilio;

  async function boot(
    opts: { mode?: 'fork' | 'connect'; connectCloseAfterMs?: number; reversed?: boolean; outboundMs?: number } = {},
  ) {
    retell = new RetellEmulator({
      apiKey: RETELL_KEY,
      webhookUrl: `${PUBLIC_URL}/retell/webhook`,
      analysisDelayMs: 10,
    });
    await retell.start();
    app = await fakeApp(retell.baseUrl, opts);
    tw = new TwilioEmulator({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      retell,
      app: { publicUrl: PUBLIC_URL, appUrl: app.appUrl },
      number: { statusCallback: `${PUBLIC_URL}/twilio/status` },
      statusCallbackDelivery: opts.reversed ? 'reversed' : 'immediate',
      outbound: () => ({ script: { durationMs: opts.outboundMs ?? 300 } }),
    });
    await tw.start();
    client = twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: new BaseUrlRequestClient(tw.baseUrl) });
  }

  afterEach(async () => {
    await tw?.close();
    await retell?.close();
    await app?.close();
  });

  describe('REST through the real twilio SDK (BaseUrlRequestClient)', () => {
    beforeEach(() => boot());

    it('creates an outbound call, then places it: status callbacks in sequence and a signed voice webhook', async () => {
      const created = await client.calls.create({
        to: '+15550001111',
        from: '+15550002222',
        url: `${PUBLIC_URL}/twilio/voice`,
        method: 'POST',
        statusCallback: `${PUBLIC_URL}/twilio/status`,
        statusCallbackMethod: 'POST',
        statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
        machineDetection: 'Enable',
      });
      expect(created.sid).toMatch(/^CA[0-9a-f]{32}$/);
      expect(created).toMatchObject({
        status: 'queued',
        to: '+15550001111',
        from: '+15550002222',
        direction: 'outbound-api',
        accountSid: ACCOUNT_SID,
      });
      const rest = tw.restRequests[0]!;
      expect(rest).toMatchObject({
        method: 'POST',
        path: `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`,
        status: 201,
      });
      expect(rest.params.StatusCallbackEvent).toEqual(['initiated', 'ringing', 'answered', 'completed']);

      const outcome = await tw.calls.get(created.sid)!.outcome;
      expect(outcome.status).toBe('completed');
      const voice = app.hits.find((h) => h.path === '/twilio/voice')!;
      expect(voice.signatureValid).toBe(true);
      expect(voice.params).toMatchObject({
        CallSid: created.sid,
        Direction: 'outbound-api',
        CallStatus: 'in-progress',
        AnsweredBy: 'human',
        ApiVersion: '2010-04-01',
      });
      const statuses = app.hits
        .filter((h) => h.path === '/twilio/status')
        .map((h) => [h.params.CallStatus, h.params.SequenceNumber]);
      expect(statuses).toEqual([
        ['initiated', '0'],
        ['ringing', '1'],
        ['in-progress', '2'],
        ['completed', '3'],
      ]);
      const completed = app.hits.filter((h) => h.path === '/twilio/status').pop()!.params;
      expect(completed).toMatchObject({ CallDuration: expect.any(String), SipResponseCode: '200' });

      const fetched = await client.calls(created.sid).fetch();
      expect(fetched.status).toBe('completed');
    });

    it('answers 404 / 20404 for an unknown or finished call, and 401 / 20003 for wrong credentials', async () => {
      await expect(client.calls('CA' + '0'.repeat(32)).update({ status: 'completed' })).rejects.toMatchObject({
        status: 404,
        code: 20404,
      });
      const bad = twilio(ACCOUNT_SID, 'wrong', { httpClient: new BaseUrlRequestClient(tw.baseUrl) });
      await expect(bad.calls.create({ to: '+1', from: '+2', url: 'https://x' })).rejects.toMatchObject({
        status: 401,
        code: 20003,
      });
      await expect(client.calls.create({ to: '+1', from: '+2' } as never)).rejects.toMatchObject({
        status: 400,
        code: 21205,
      });
    });

    it('hangs up a live call (Status=completed) and redirects one (Twiml=): the Retell leg ends, no Dial action', async () => {
      const call = tw.placeInboundCall({ from: '+15550001111', to: '+15550002222', script: { durationMs: 10_000 } });
      await waitUntil(() => call.timeline.some((e) => e.kind === 'sip' && e.phase === 'connected'));
      await client.calls(call.callSid).update({
        twiml: '<Response><Say>Transferring you.</Say><Dial><Number>+15557654321</Number></Dial></Response>',
      });
      await waitUntil(() =>
        call.timeline.some((e) => e.kind === 'twiml' && e.verb === 'Dial' && e.detail?.includes('Number')),
      );
      await client.calls(call.callSid).update({ status: 'completed' });
      const outcome = await call.outcome;
      expect(outcome.endReason).toBe('api');
      expect(outcome.status).toBe('completed');
      expect(outcome.says).toEqual(['Transferring you.']);
      expect(outcome.transfers).toEqual(['+15557654321']);
      expect(outcome.dials[0]).toMatchObject({ kind: 'sip', status: 'completed', endedBy: 'redirect' });
      expect(app.hits.some((h) => h.path === '/twilio/dial-complete')).toBe(false);
      expect(app.retellEvents.find((e) => e.event === 'call_ended')?.call.disconnection_reason).toBe('user_hangup');
      await expect(client.calls(call.callSid).update({ status: 'completed' })).rejects.toMatchObject({
        status: 404,
        code: 20404,
      });
    });
  });

  describe('inbound calls', () => {
    it('runs fork + Dial-to-SIP end to end, in the order Twilio does', async () => {
      await boot();
      const caller = new Uint8Array(800).fill(0x30);
      const outcome = await tw.runInboundCall({
        from: '+15550001111',
        to: '+15550002222',
        script: {
          caller: [{ clip: caller, atMs: 0, text: 'Hi, I need help.' }],
          agent: [{ clip: caller, atMs: 200, text: 'Sure, what is it?' }],
          durationMs: 600,
        },
      });

      // Every request was signed over the public URL and sent to the real address.
      expect(app.hits.length).toBeGreaterThan(0);
      expect(app.hits.every((h) => h.signatureValid)).toBe(true);
      expect(app.upgrades).toEqual([{ signatureValid: true }]);
      const voice = app.hits[app.hits.findIndex((h) => h.path === '/twilio/voice')]!.params;
      expect(voice).toMatchObject({
        CallSid: outcome.callSid,
        AccountSid: ACCOUNT_SID,
        CallStatus: 'ringing',
        Direction: 'inbound',
        From: '+15550001111',
        To: '+15550002222',
        Caller: '+15550001111',
        Called: '+15550002222',
      });

      expect(outcome.verbs.map((v) => v.verb)).toEqual(['Start', 'Dial', 'Hangup']);
      expect(outcome.status).toBe('completed');
      expect(outcome.answered).toBe(true);
      expect(outcome.dials[0]).toMatchObject({
        kind: 'sip',
        status: 'completed',
        endedBy: 'agent-script',
        sipCode: 200,
      });
      const retellCallId = outcome.dials[0]!.remoteId!;
      expect(retellCallId).toMatch(/^call_/);

      // Stream: start carries the <Parameter>s; both tracks flowed; stop came last.
      const start = app.streamFrames.find((f) => f.event === 'start')!;
      expect(start.start).toMatchObject({
        callSid: outcome.callSid,
        tracks: ['inbound', 'outbound'],
        customParameters: { callSid: outcome.callSid, retellCallId },
      });
      expect(app.streamFrames.filter((f) => f.event === 'media').length).toBeGreaterThan(40);
      expect(app.streamFrames[app.streamFrames.length - 1]!.event).toBe('stop');

      // Retell: registered, started, transcript, ended (agent hung up), analyzed.
      expect(app.retellEvents.map((e) => e.event)).toEqual([
        'call_started',
        'transcript_updated',
        'transcript_updated',
        'call_ended',
        'call_analyzed',
      ]);
      expect(app.retellEvents[3]!.call).toMatchObject({
        call_id: retellCallId,
        disconnection_reason: 'agent_hangup',
        transcript: 'User: Hi, I need help.\nAgent: Sure, what is it?\n',
      });

      // Dial action after the leg ended; status callbacks numbered from 0 in order; the terminal one last.
      const dialAction = app.hits.find((h) => h.path === '/twilio/dial-complete')!.params;
      expect(dialAction).toMatchObject({
        DialCallStatus: 'completed',
        DialSipResponseCode: '200',
        CallStatus: 'in-progress',
      });
      expect(dialAction.DialCallSid).toMatch(/^CA/);
      const statusHits = app.hits.filter((h) => h.path === '/twilio/status');
      expect(statusHits.map((h) => [h.params.CallStatus, h.params.SequenceNumber])).toEqual([
        ['initiated', '0'],
        ['ringing', '1'],
        ['in-progress', '2'],
        ['completed', '3'],
      ]);
      const streamStatus = app.hits.filter((h) => h.path === '/twilio/stream-status').map((h) => h.params.StreamEvent);
      expect(streamStatus).toEqual(['stream-started', 'stream-stopped']);

      // Timeline: ordered, typed, includes Retell's events.
      const kinds = outcome.timeline.map((e) => `${e.source}:${e.kind}`);
      expect(kinds).toEqual(
        expect.arrayContaining([
          'twilio:call',
          'twilio:webhook',
          'twilio:twiml',
          'twilio:stream',
          'twilio:sip',
          'retell:retell',
        ]),
      );
      const idx = (pred: (e: (typeof outcome.timeline)[number]) => boolean) => outcome.timeline.findIndex(pred);
      const sipEnded = idx((e) => e.kind === 'sip' && e.phase === 'ended');
      const actionSent = idx((e) => e.kind === 'webhook' && e.purpose === 'dial-action' && e.phase === 'sent');
      const streamStopped = idx((e) => e.kind === 'stream' && e.phase === 'stopped');
      const completedSent = idx(
        (e) =>
          e.kind === 'webhook' && e.purpose === 'status' && e.phase === 'sent' && !!e.detail?.startsWith('completed'),
      );
      expect(sipEnded).toBeLessThan(actionSent);
      expect(actionSent).toBeLessThan(streamStopped);
      expect(streamStopped).toBeLessThan(completedSent);
    });

    it('fails the SIP leg for an unknown call_id (404) and runs the fallback the action returns', async () => {
      await boot();
      const outcome = await tw.runInboundCall({
        from: '+1555',
        to: '+1666',
        voiceUrl: `${PUBLIC_URL}/twilio/voice-bad`,
        script: { durationMs: 200 },
      });
      expect(outcome.dials[0]).toMatchObject({ kind: 'sip', status: 'failed', sipCode: 404 });
      const action = app.hits.find((h) => h.path === '/twilio/dial-complete')!.params;
      expect(action).toMatchObject({ DialCallStatus: 'failed', DialSipResponseCode: '404', DialCallDuration: '0' });
      expect(outcome.says).toEqual(['Sorry, we cannot take your call right now.']);
      expect(outcome.transfers).toEqual(['+15550009999']);
      expect(outcome.verbs.map((v) => v.verb)).toEqual(['Dial', 'Say', 'Dial']);
    });

    it('holds a <Connect><Stream> until the server closes it, then goes on with the TwiML', async () => {
      await boot({ mode: 'connect', connectCloseAfterMs: 150 });
      const outcome = await tw.runInboundCall({ from: '+1555', to: '+1666', script: { durationMs: 5000 } });
      expect(outcome.verbs.map((v) => v.verb)).toEqual(['Connect', 'Say']);
      expect(outcome.says).toEqual(['The agent left.']);
      expect(outcome.streams[0]).toMatchObject({
        mode: 'bidirectional',
        tracks: ['inbound'],
        closed: { by: 'server', code: 1000 },
      });
      const start = app.streamFrames.find((f) => f.event === 'start') as { start: { customParameters: unknown } };
      expect(start.start.customParameters).toEqual({ callSid: outcome.callSid });
    });

    it('runs inline TwiML from calls.create: <Pause>, then <Redirect>', async () => {
      await boot({ outboundMs: 1500 });
      const created = await client.calls.create({
        to: '+15550001111',
        from: '+15550002222',
        twiml: '<Response><Pause length="1"/><Redirect>https://callbridge.test/twilio/voice-bad</Redirect></Response>',
      });
      const outcome = await tw.calls.get(created.sid)!.outcome;
      expect(outcome.verbs.map((v) => v.verb)).toEqual(['Pause', 'Redirect', 'Dial', 'Say', 'Dial']);
      expect(outcome.verbs[1]!.t - outcome.verbs[0]!.t).toBeGreaterThanOrEqual(990);
      expect(app.hits.find((h) => h.path === '/twilio/voice-bad')!.params).toMatchObject({
        CallStatus: 'in-progress',
        Direction: 'outbound-api',
      });
      expect(outcome.twiml.map((d) => d.source)).toEqual(['voice', 'redirect', 'dial-action']);
    });

    it('ends the call with error 11200 when the app refuses the voice webhook (here: a wrong signature)', async () => {
      await boot();
      const outcome = await tw.runInboundCall({ from: '+1555', to: '+1666', script: { webhookSignature: 'wrong' } });
      expect(app.hits[app.hits.length - 1]).toMatchObject({ signatureValid: false });
      expect(outcome.errors[0]).toMatchObject({ code: 11200 });
      expect(outcome.verbs).toEqual([]);
      expect(outcome.answered).toBe(false);
    });

    it('refuses a stream URL with a query string (error 31920) and tells the stream status callback', async () => {
      await boot();
      const created = await client.calls.create({
        to: '+1555',
        from: '+1666',
        twiml: `<Response><Start><Stream url="wss://callbridge.test/twilio/media?x=1" statusCallback="${PUBLIC_URL}/twilio/stream-status"/></Start><Pause length="1"/></Response>`,
      });
      const outcome = await tw.calls.get(created.sid)!.outcome;
      expect(outcome.errors.map((e) => e.code)).toEqual([31920]);
      expect(app.upgrades).toEqual([]);
      expect(app.hits.filter((h) => h.path === '/twilio/stream-status').map((h) => h.params.StreamEvent)).toEqual([
        'stream-error',
      ]);
    });

    it('delivers status callbacks out of order on request, keeping their sequence numbers', async () => {
      await boot({ reversed: true });
      await tw.runInboundCall({ from: '+1555', to: '+1666', script: { durationMs: 200 } });
      const seq = app.hits.filter((h) => h.path === '/twilio/status').map((h) => h.params.SequenceNumber);
      expect(seq).toEqual(['3', '2', '1', '0']);
    });
  });

  it('sends arbitrary webhooks signed, wrongly signed or unsigned (validated by twilio.validateRequest)', async () => {
    await boot();
    const params = { CallSid: 'CA1', CallStatus: 'completed' };
    const results = [];
    for (const signature of ['valid', 'wrong', 'none'] as const) {
      results.push(await tw.sendWebhook({ url: `${PUBLIC_URL}/twilio/status`, params, signature }));
    }
    expect(results.map((r) => ('status' in r ? r.status : r.error))).toEqual([204, 403, 403]);
    expect(app.hits.map((h) => h.signatureValid)).toEqual([true, false, false]);
    expect(tw.signer.signature(`${PUBLIC_URL}/twilio/status`, params)).toBe(
      twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC_URL}/twilio/status`, params),
    );
  });
});

async function waitUntil(fn: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
