import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import Retell, { APIConnectionError, AuthenticationError, InternalServerError, verify } from 'retell-sdk';
import { closeServer, listen, readBody } from './emulator-http.js';
import { PublicUrlMap } from './public-url-map.js';
import { RetellEmulator } from './retell-emulator.js';

const API_KEY = 'key_test_retell';

/** A stand-in for the app's webhook endpoint: records raw bodies and headers, answers with `status()`. */
async function webhookReceiver(status: (n: number) => number = () => 204, reply = '') {
  const received: { body: string; headers: IncomingHttpHeaders; path: string }[] = [];
  const server: Server = createServer(async (req, res) => {
    const body = (await readBody(req)).toString('utf8');
    received.push({ body, headers: req.headers, path: req.url ?? '' });
    res.writeHead(status(received.length), { 'content-type': 'application/json' });
    res.end(reply);
  });
  const port = await listen(server, '127.0.0.1', 0);
  return { received, url: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
}

describe(RetellEmulator.name, () => {
  let retell: RetellEmulator;
  let client: Retell;

  beforeEach(async () => {
    retell = new RetellEmulator({ apiKey: API_KEY, webhookRetryDelayMs: 20, analysisDelayMs: 10 });
    client = new Retell({ apiKey: API_KEY, baseURL: await retell.start(), maxRetries: 0 });
  });

  afterEach(() => retell.close());

  describe('REST through the real retell-sdk', () => {
    it('registers a phone call and echoes what was registered', async () => {
      const r = await client.call.registerPhoneCall({
        agent_id: 'agent_1',
        direction: 'inbound',
        from_number: '+15550001111',
        to_number: '+15550002222',
        metadata: { twilio_call_sid: 'CA123' },
        retell_llm_dynamic_variables: { caller_number: '+15550001111' },
      });
      expect(r.call_id).toMatch(/^call_[0-9a-f]{32}$/);
      expect(r).toMatchObject({
        agent_id: 'agent_1',
        call_status: 'registered',
        call_type: 'phone_call',
        direction: 'inbound',
        from_number: '+15550001111',
        to_number: '+15550002222',
        metadata: { twilio_call_sid: 'CA123' },
        retell_llm_dynamic_variables: { caller_number: '+15550001111' },
      });
      expect(retell.registrations).toHaveLength(1);
      expect(retell.registrations[0]).toMatchObject({ status: 201, callId: r.call_id, body: { agent_id: 'agent_1' } });

      const got = await client.call.retrieve(r.call_id);
      expect(got).toMatchObject({ call_id: r.call_id, call_status: 'registered' });
    });

    it('refuses a wrong API key and a missing agent_id', async () => {
      const other = new Retell({ apiKey: 'nope', baseURL: retell.baseUrl, maxRetries: 0 });
      await expect(other.call.registerPhoneCall({ agent_id: 'a' })).rejects.toBeInstanceOf(AuthenticationError);
      await expect(client.call.registerPhoneCall({} as { agent_id: string })).rejects.toMatchObject({ status: 400 });
    });

    it('is slow when told to: the client times out', async () => {
      retell.setLatency(400);
      // Under Jest's VM realm the SDK cannot recognise undici's AbortError (a main-realm DOMException fails its
      // `instanceof Error`), so the timeout surfaces as the base APIConnectionError; plain Node gives
      // APIConnectionTimeoutError. Both are connection errors.
      await expect(client.call.registerPhoneCall({ agent_id: 'a' }, { timeout: 100 })).rejects.toBeInstanceOf(
        APIConnectionError,
      );
      await new Promise((r) => setTimeout(r, 400));
      expect(retell.requests[0]).toMatchObject({ path: '/v2/register-phone-call', status: 201, clientAborted: true });
      retell.setLatency(0);
      await expect(client.call.registerPhoneCall({ agent_id: 'a' })).resolves.toMatchObject({
        call_status: 'registered',
      });
    });

    it('fails with 500 the given number of times', async () => {
      retell.failWith(500, 1);
      await expect(client.call.registerPhoneCall({ agent_id: 'a' })).rejects.toBeInstanceOf(InternalServerError);
      await expect(client.call.registerPhoneCall({ agent_id: 'a' })).resolves.toMatchObject({
        call_status: 'registered',
      });
      expect(retell.registrations.map((r) => r.status)).toEqual([500, 201]);
    });

    it('goes down (connection refused) and comes back on the same port', async () => {
      await retell.down();
      await expect(client.call.registerPhoneCall({ agent_id: 'a' })).rejects.toBeInstanceOf(APIConnectionError);
      await retell.up();
      await expect(client.call.registerPhoneCall({ agent_id: 'a' })).resolves.toMatchObject({
        call_status: 'registered',
      });
    });
  });

  describe('webhooks', () => {
    it('signs with the real algorithm: retell-sdk verify accepts it, and rejects tampered, wrong-key and stale ones', async () => {
      const app = await webhookReceiver();
      try {
        retell.setWebhookUrl(`${app.url}/retell/webhook`);
        const { call_id } = await client.call.registerPhoneCall({ agent_id: 'a' });
        await retell.sendEvent(call_id, 'call_started');
        await retell.sendEvent(call_id, 'call_started', { signature: 'wrong' });
        await retell.sendEvent(call_id, 'call_started', { signature: 'stale' });
        const [good, wrong, stale] = app.received;
        const sig = good!.headers['x-retell-signature'] as string;
        expect(sig).toMatch(/^v=\d+,d=[0-9a-f]{64}$/);
        expect(JSON.parse(good!.body)).toMatchObject({ event: 'call_started', call: { call_id } });
        await expect(verify(good!.body, API_KEY, sig)).resolves.toBe(true);
        await expect(verify(good!.body.replace('call_started', 'call_ended_'), API_KEY, sig)).resolves.toBe(false);
        await expect(verify(wrong!.body, API_KEY, wrong!.headers['x-retell-signature'] as string)).resolves.toBe(false);
        await expect(verify(stale!.body, API_KEY, stale!.headers['x-retell-signature'] as string)).resolves.toBe(false);
      } finally {
        await app.close();
      }
    });

    it('retries a non-2xx delivery and can resend the same body', async () => {
      const app = await webhookReceiver((n) => (n === 1 ? 500 : 200));
      try {
        retell.setWebhookUrl(app.url + '/hook');
        const { call_id } = await client.call.registerPhoneCall({ agent_id: 'a' });
        const dial = await retell.dial({
          uri: `sip:${call_id}@sip.retellai.com;transport=tcp`,
          accountSid: 'AC1',
          callSid: 'CA1',
          dialCallSid: 'CA2',
          from: '+1',
          to: '+2',
        });
        expect(dial.ok).toBe(true);
        await retell.waitForDelivery((d) => d.event === 'call_started' && d.status === 200);
        expect(retell.deliveries.filter((d) => d.event === 'call_started').map((d) => [d.attempt, d.status])).toEqual([
          [1, 500],
          [2, 200],
        ]);
        await retell.resend(call_id, 'call_started');
        expect(app.received).toHaveLength(3);
        expect(app.received[2]!.body).toBe(app.received[0]!.body);
        if (dial.ok) dial.leg.hangup('user_hangup');
      } finally {
        await app.close();
      }
    });
  });

  describe('SIP leg', () => {
    it('answers a registered call, reports the cumulative transcript, and ends with call_ended then call_analyzed', async () => {
      const app = await webhookReceiver();
      try {
        const map = new PublicUrlMap([{ publicUrl: 'https://callbridge.test', appUrl: app.url }]);
        await retell.close();
        retell = new RetellEmulator({
          apiKey: API_KEY,
          webhookUrl: 'https://callbridge.test/retell/webhook',
          urlMap: map,
          analysisDelayMs: 10,
        });
        client = new Retell({ apiKey: API_KEY, baseURL: await retell.start(), maxRetries: 0 });
        const { call_id } = await client.call.registerPhoneCall({
          agent_id: 'a',
          metadata: { twilio_call_sid: 'CA1' },
        });
        const dial = await retell.dial({
          uri: `sip:${call_id}@sip.retellai.com;transport=tcp`,
          accountSid: 'AC1',
          callSid: 'CA1',
          dialCallSid: 'CA2',
          from: '+1',
          to: '+2',
          transcript: [
            { role: 'agent', content: 'Hello, how can I help?', atMs: 10 },
            { role: 'user', content: 'I need a plumber.', atMs: 40 },
          ],
        });
        if (!dial.ok) throw new Error('dial failed');
        await retell.waitForDelivery((d) => d.event === 'transcript_updated' && d.body.includes('plumber'));
        expect(retell.calls.get(call_id)?.status).toBe('ongoing');
        retell.endCall(call_id, 'agent_hangup');
        await expect(dial.leg.ended).resolves.toEqual({ by: 'remote', reason: 'agent_hangup' });
        await dial.leg.settled;

        const events = app.received.map((r) => JSON.parse(r.body) as { event: string; call: Record<string, unknown> });
        expect(app.received.every((r) => r.path === '/retell/webhook')).toBe(true);
        expect(events.map((e) => e.event)).toEqual([
          'call_started',
          'transcript_updated',
          'transcript_updated',
          'call_ended',
          'call_analyzed',
        ]);
        expect(events[2]!.call.transcript).toBe('Agent: Hello, how can I help?\nUser: I need a plumber.\n');
        expect(events[3]!.call).toMatchObject({
          call_status: 'ended',
          disconnection_reason: 'agent_hangup',
          telephony_identifier: { twilio_call_sid: 'CA1' },
        });
        expect(events[3]!.call.recording_url).toEqual(expect.stringContaining(call_id));
        expect(events[3]!.call.duration_ms).toEqual(expect.any(Number));
        expect(events[3]!.call.call_analysis).toBeUndefined();
        expect(events[4]!.call.call_analysis).toMatchObject({
          call_summary: expect.any(String),
          user_sentiment: 'Neutral',
          call_successful: true,
        });
        for (const r of app.received)
          await expect(verify(r.body, API_KEY, r.headers['x-retell-signature'] as string)).resolves.toBe(true);
      } finally {
        await app.close();
      }
    });

    it('refuses an unknown call_id with SIP 404, and a call that was already dialled', async () => {
      const unknown = await retell.dial({
        uri: 'sip:call_nope@sip.retellai.com;transport=tcp',
        accountSid: 'AC1',
        callSid: 'CA1',
        dialCallSid: 'CA2',
        from: '+1',
        to: '+2',
      });
      expect(unknown).toMatchObject({ ok: false, status: 'failed', sipCode: 404 });
      const { call_id } = await client.call.registerPhoneCall({ agent_id: 'a' });
      const req = {
        uri: `sip:${call_id}@sip.retellai.com;transport=tcp`,
        accountSid: 'AC1',
        callSid: 'CA1',
        dialCallSid: 'CA2',
        from: '+1',
        to: '+2',
      };
      const first = await retell.dial(req);
      expect(first.ok).toBe(true);
      expect(await retell.dial(req)).toMatchObject({ ok: false, sipCode: 404 });
      expect(retell.handles(req.uri)).toBe(true);
      expect(retell.handles('sip:someone@pbx.example.com')).toBe(false);
    });
  });

  it('invokes a custom function with a signed {call, name, args} body and returns the answer', async () => {
    const app = await webhookReceiver(() => 200, JSON.stringify({ result: 'booked' }));
    try {
      const { call_id } = await client.call.registerPhoneCall({ agent_id: 'a' });
      const r = await retell.invokeFunction(`${app.url}/retell/functions/book`, {
        name: 'book',
        args: { day: 'monday' },
        callId: call_id,
      });
      expect(r).toMatchObject({ status: 200, json: { result: 'booked' } });
      const sent = app.received[0]!;
      expect(JSON.parse(sent.body)).toMatchObject({ name: 'book', args: { day: 'monday' }, call: { call_id } });
      await expect(verify(sent.body, API_KEY, sent.headers['x-retell-signature'] as string)).resolves.toBe(true);
    } finally {
      await app.close();
    }
  });
});
