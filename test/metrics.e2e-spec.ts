import twilio from 'twilio';
import WebSocket from 'ws';
import { MetricsService } from '../src/metrics/metrics.service.js';
import { PUBLIC_URL, eventually, startHarness, type Harness } from './support/harness.js';

/**
 * Series that count overload, which a healthy run cannot produce: the speech model falling behind, the analysis
 * thread starving. Both belong to the audio pipeline, being reworked on its own branch; until then they are left out
 * here, by name, and only if declared.
 */
const OVERLOAD_ONLY: ReadonlyMap<string, string> = new Map([
  ['callbridge_vad_model_skipped_windows_total', 'windows settled without the model because it was behind'],
  ['callbridge_vad_streams_moved_total', 'streams moved to the event loop because the analysis thread starved'],
]);

/** Sum of a series' samples in a Prometheus text scrape (a histogram: its `_count`). */
function total(scrape: string, name: string, type: string): number {
  const sample = type === 'histogram' ? `${name}_count` : name;
  let sum = 0;
  for (const line of scrape.split('\n')) {
    if (line.startsWith(`${sample}{`) || line.startsWith(`${sample} `))
      sum += Number(line.slice(line.lastIndexOf(' ')));
  }
  return sum;
}

/** One sample's value, by its exact labels as written in the scrape. */
function sample(scrape: string, series: string): number {
  const line = scrape.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(line.lastIndexOf(' '))) : 0;
}

/**
 * What `npm run demo` shows (one inbound call: the caller asks, the agent answers, the caller cuts in and presses 0),
 * what a demo of robustness would add (Retell failing for one call, a forged Twilio webhook, a forged Retell webhook,
 * a forged media upgrade, a malformed media frame) and an outbound call through `/calls`. Afterwards every counter
 * and histogram the app declares must have moved: a series that cannot move in such a run is dead weight.
 */
describe('metrics: a demo call and its robustness cases move every declared series', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { MEDIA_MODE: 'fork', FALLBACK_NUMBER: '+15550009999' } });
  });
  afterAll(() => h.close());

  it('counts each event where it happens', async () => {
    const caller = { from: '+14155550123', to: '+14155550100' };

    // Retell refuses one registration: the caller gets the fallback.
    h.stack.retell.failWith(500, 1);
    const fallback = await h.stack.twilio.runInboundCall({ ...caller, script: { durationMs: 200 } });
    expect(fallback.twiml[0]!.xml).toContain('<Dial>+15550009999</Dial>');

    // Forged webhooks and a forged media upgrade: refused, counted, nothing stored.
    const forgedTwilio = await h.stack.twilio.sendWebhook({
      url: `${PUBLIC_URL}/twilio/status`,
      params: { CallSid: 'CAforged', AccountSid: 'AC1', CallStatus: 'completed' },
      signature: 'wrong',
    });
    expect('status' in forgedTwilio && forgedTwilio.status).toBe(403);
    const forgedSocket = new WebSocket(`${h.url.replace('http', 'ws')}/twilio/media`, {
      headers: { 'x-twilio-signature': twilio.getExpectedTwilioSignature('not-the-token', `${PUBLIC_URL}/x`, {}) },
    });
    expect(await new Promise<number>((resolve) => forgedSocket.once('close', resolve))).toBe(1008);

    // The demo's call, with one malformed frame on its stream.
    const outcome = await h.stack.twilio.runInboundCall({
      ...caller,
      script: {
        caller: [
          { clip: 's1_clean', atMs: 0, text: 'Hello, I would like to check on my order.' },
          { clip: 's2_pink_snr20', atMs: 12_720, text: 'Sorry, one more thing.' },
          { clip: 'dtmf_0', atMs: 20_300 },
        ],
        agent: [{ clip: 's2_clean', atMs: 8280, text: 'Of course, let me look that up for you.' }],
        durationMs: 22_000,
        streamFaults: { malformedAfterChunks: [10] },
      },
    });
    const record = await eventually(
      async () => {
        const r = await h.call(outcome.callSid);
        return r.media?.endedAt && r.retell.events.some((e) => e.event === 'call_analyzed') ? r : undefined;
      },
      10_000,
      'the demo call to end with its analysis',
    );
    expect(record.media!.analytics!.interruptions.length).toBeGreaterThan(0);
    const forgedRetell = await h.stack.retell.sendEvent(record.retellCallId!, 'call_ended', { signature: 'wrong' });
    expect(forgedRetell.status).toBe(401);

    // An outbound call through the API: Twilio REST.
    const placed = await h.api('/calls', { method: 'POST', body: JSON.stringify({ to: '+14155550199' }) });
    expect(placed.status).toBe(201);

    const scrape = await (await fetch(`${h.url}/metrics`)).text();
    // prom-client's typings say an enum; the registry gives the type's name.
    const declared = (await h.app.get(MetricsService).registry.getMetricsAsJSON())
      .map((m) => ({ name: m.name, type: String(m.type) }))
      .filter((m) => m.name.startsWith('callbridge_') && (m.type === 'counter' || m.type === 'histogram'));
    // The app's own series, not only the runtime's: a list that lost them would pass for nothing.
    expect(declared.filter((m) => !/^callbridge_(process|nodejs)_/.test(m.name)).length).toBeGreaterThanOrEqual(12);
    const still = declared
      .filter((m) => !OVERLOAD_ONLY.has(m.name) && !(total(scrape, m.name, m.type) > 0))
      .map((m) => `${m.name} (${m.type})`);
    expect(still).toEqual([]);

    // Each where it happened, with the labels that say what.
    for (const series of [
      'callbridge_webhooks_total{source="twilio",route="/twilio/voice",outcome="ok"}',
      'callbridge_webhooks_total{source="twilio",route="/twilio/status",outcome="rejected"}',
      'callbridge_webhooks_total{source="retell",route="/retell/webhook",outcome="ok"}',
      'callbridge_webhooks_total{source="retell",route="/retell/webhook",outcome="rejected"}',
      'callbridge_signature_rejections_total{source="twilio"}',
      'callbridge_signature_rejections_total{source="retell"}',
      'callbridge_signature_rejections_total{source="media"}',
      'callbridge_retell_registration_seconds_count{outcome="ok"}',
      'callbridge_retell_registration_seconds_count{outcome="retell_error"}',
      'callbridge_fallbacks_total{reason="retell_error"}',
      'callbridge_media_frames_dropped_total{reason="not_json"}',
      'callbridge_media_sockets_closed_total{reason="invalid_signature"}',
      'callbridge_interruptions_total{mode="fork"}',
      'callbridge_twilio_rest_attempts_total{operation="create",result="ok"}',
    ]) {
      expect({ series, moved: sample(scrape, series) > 0 }).toEqual({ series, moved: true });
    }
  });
});
