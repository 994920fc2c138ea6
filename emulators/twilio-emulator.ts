/**
 * Twilio Programmable Voice, as far as callbridge can observe it: the REST API the `twilio` SDK calls (create,
 * fetch, update calls), and phone calls that drive the app through signed webhooks, TwiML and Media Streams. Inbound
 * calls are placed with {@link TwilioEmulator.placeInboundCall}; outbound ones start when the app calls
 * `calls.create`.
 *
 * The app is reached like behind a reverse proxy: every URL starting with its public URL (`https://callbridge.test`,
 * `wss://callbridge.test`) is signed as written and sent to the real address (`http://127.0.0.1:41234`).
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import twilio from 'twilio';
import type { TwilioCallStatus } from '../src/protocol/twilio-webhooks.js';
import {
  closeServer,
  headerValue,
  listen,
  parseForm,
  readBody,
  sendHttp,
  sendJson,
  type FormParams,
  type HttpResult,
} from './emulator-http.js';
import { twilioSid } from './sids.js';
import { PublicUrlMap, type PublicUrlMapping } from './public-url-map.js';
import type { RetellEmulator } from './retell-emulator.js';
import type { SipEndpoint } from './sip-endpoint.js';
import type { TimelineEvent } from './timeline.js';
import {
  sendTwilioRequest,
  TwilioCall,
  type CallEnvironment,
  type CallOutcome,
  type CallProgressEvent,
  type StatusCallbackConfig,
} from './twilio-call.js';
import type { CallScript } from './twilio-call-script.js';
import { TwilioWebhookSigner, type SignatureMode, type TwilioSigning } from './twilio-webhook-signer.js';

/** How the callee of an outbound (`calls.create`) call behaves. */
export interface OutboundPlan {
  /** Default `answer`. */
  readonly answer?: 'answer' | 'busy' | 'no-answer' | 'failed';
  /** Ringing time before the outcome, ms. Default 0. */
  readonly ringMs?: number;
  readonly script?: CallScript;
  /** `AnsweredBy` when the app asked for machine detection. Default `human`. */
  readonly answeredBy?: string;
}

/** The Twilio phone number's configuration, for inbound calls. */
export interface NumberConfig {
  /** Default `<publicUrl>/twilio/voice`. */
  readonly voiceUrl?: string;
  readonly voiceMethod?: 'GET' | 'POST';
  readonly statusCallback?: string;
  readonly statusCallbackMethod?: 'GET' | 'POST';
  /** Default all four (the console's number config sends only `completed`; tests want every step). */
  readonly statusCallbackEvents?: readonly CallProgressEvent[];
}

/** Options of {@link TwilioEmulator}. */
export interface TwilioEmulatorOptions {
  readonly accountSid: string;
  readonly authToken: string;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0 (a free port). */
  readonly port?: number;
  /** Where the app is, publicly and really. Can also be set later with {@link TwilioEmulator.configureApp}. */
  readonly app?: PublicUrlMapping;
  readonly number?: NumberConfig;
  /** The Retell emulator: `<Dial><Sip>` reaches it, and its events join each call's timeline. */
  readonly retell?: RetellEmulator;
  /** Another SIP endpoint (when not using `retell`). */
  readonly sip?: SipEndpoint;
  /** Default HMAC-SHA1 with the Auth Token. */
  readonly signing?: TwilioSigning;
  /** Twilio's patience for a webhook. Default 15 000 ms. */
  readonly webhookTimeoutMs?: number;
  /** `reversed` delivers each call's status callbacks newest first, at the end of the call (out-of-order tests). */
  readonly statusCallbackDelivery?: 'immediate' | 'reversed';
  /** Hard cap on any call. Default 5 minutes. */
  readonly maxCallMs?: number;
  /** How callees of outbound calls behave. Default: answer at once with an empty script. */
  readonly outbound?: (call: { readonly callSid: string; readonly to: string; readonly from: string }) => OutboundPlan;
  /** API keys (SK…) accepted besides `accountSid:authToken`. */
  readonly apiKeys?: readonly { readonly sid: string; readonly secret: string }[];
}

/** A REST request as received. */
export interface TwilioRestRequest {
  readonly method: string;
  readonly path: string;
  /** Form body (repeated names → arrays) and query, merged. */
  readonly params: FormParams;
  readonly at: number;
  readonly authorized: boolean;
  status?: number;
  callSid?: string;
}

/** An inbound call to place. */
export interface InboundCallRequest {
  readonly from: string;
  readonly to: string;
  readonly script?: CallScript;
  /** Overrides the number's voice URL for this call. */
  readonly voiceUrl?: string;
  /** Overrides the number's status callback for this call (`null`: none). */
  readonly statusCallback?: StatusCallbackConfig | null;
}

/** Events of {@link TwilioEmulator}. */
export interface TwilioEmulatorEvents {
  timeline: [TimelineEvent];
  call: [TwilioCall];
  rest: [TwilioRestRequest];
}

const PROGRESS_EVENTS: ReadonlySet<string> = new Set<CallProgressEvent>([
  'initiated',
  'ringing',
  'answered',
  'completed',
]);

/** Twilio's REST API and phone network, emulated. */
export class TwilioEmulator extends EventEmitter<TwilioEmulatorEvents> {
  /** Every REST request, in order. */
  readonly restRequests: TwilioRestRequest[] = [];
  /** Every call, by SID. */
  readonly calls = new Map<string, TwilioCall>();
  /** Every timeline event of every call, plus REST events, in order. */
  readonly timeline: TimelineEvent[] = [];
  readonly urlMap = new PublicUrlMap();
  readonly signer: TwilioWebhookSigner;

  private readonly server: Server;
  private readonly shutdown = new AbortController();
  private readonly env: CallEnvironment;
  private readonly detachRetell: () => void = () => undefined;
  private port: number;
  private publicUrl: string | undefined;
  private closing = false;

  constructor(private readonly options: TwilioEmulatorOptions) {
    super();
    this.port = options.port ?? 0;
    this.signer = new TwilioWebhookSigner(options.authToken, options.signing);
    if (options.app) this.configureApp(options.app);
    this.env = {
      accountSid: options.accountSid,
      signer: this.signer,
      urlMap: this.urlMap,
      sip: options.retell ?? options.sip,
      webhookTimeoutMs: options.webhookTimeoutMs ?? 15_000,
      statusCallbackDelivery: options.statusCallbackDelivery ?? 'immediate',
      maxCallMs: options.maxCallMs ?? 5 * 60_000,
      signal: this.shutdown.signal,
      onTimeline: (e) => this.record(e),
    };
    const retell = options.retell;
    if (retell) {
      const onRetell = (e: TimelineEvent) => {
        const call = e.callSid ? this.calls.get(e.callSid) : undefined;
        // Timed from the call's start, like the call's own events.
        this.record(call ? call.addTimeline(e) : e);
      };
      retell.on('timeline', onRetell);
      this.detachRetell = () => retell.off('timeline', onRetell);
    }
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** `http://host:port` once started: the `https://api.twilio.com` replacement for the SDK. */
  get baseUrl(): string {
    return `http://${this.options.host ?? '127.0.0.1'}:${this.port}`;
  }

  /** Starts listening; resolves with the base URL. */
  async start(): Promise<string> {
    this.port = await listen(this.server, this.options.host ?? '127.0.0.1', this.port);
    return this.baseUrl;
  }

  /** Ends every live call (their outcomes resolve), aborts in-flight webhooks, closes sockets and the server. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.shutdown.abort();
    const outcomes = [...this.calls.values()].map((c) => c.outcome);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(outcomes), new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    this.detachRetell();
    await closeServer(this.server);
  }

  /**
   * Tells the emulator where the app is: the URL it believes it has, and where it really listens. Also configures the
   * Retell emulator given in the options, which reaches the same app.
   */
  configureApp(app: PublicUrlMapping): void {
    this.urlMap.add(app);
    this.options.retell?.configureApp(app);
    this.publicUrl = app.publicUrl.replace(/\/+$/, '');
  }

  /**
   * A PSTN caller dials the app's number: the voice webhook (`CallStatus=ringing`, `Direction=inbound`) goes out
   * signed over the public URL, and the TwiML it returns runs with `script` providing the audio and timing. Await
   * `call.outcome`.
   */
  placeInboundCall(request: InboundCallRequest): TwilioCall {
    const n = this.options.number ?? {};
    const voiceUrl = request.voiceUrl ?? n.voiceUrl ?? (this.publicUrl ? `${this.publicUrl}/twilio/voice` : undefined);
    if (!voiceUrl) throw new Error('TwilioEmulator: no voice URL (configure the app or the number)');
    const statusCallback =
      request.statusCallback === null
        ? undefined
        : (request.statusCallback ??
          (n.statusCallback
            ? {
                url: n.statusCallback,
                method: n.statusCallbackMethod ?? 'POST',
                events: n.statusCallbackEvents ?? ['initiated', 'ringing', 'answered', 'completed'],
              }
            : undefined));
    const call = new TwilioCall(this.env, {
      direction: 'inbound',
      from: request.from,
      to: request.to,
      voice: { url: voiceUrl, method: n.voiceMethod ?? 'POST' },
      statusCallback,
      script: request.script,
    });
    this.track(call);
    void call.run();
    return call;
  }

  /** Shorthand: places the call and resolves with its outcome. */
  runInboundCall(request: InboundCallRequest): Promise<CallOutcome> {
    return this.placeInboundCall(request).outcome;
  }

  /** Resolves with the next call created (e.g. by the app's `calls.create`), or an existing one matching. */
  nextCall(predicate: (c: TwilioCall) => boolean = () => true, timeoutMs = 5000): Promise<TwilioCall> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('call', onCall);
        reject(new Error(`no call within ${timeoutMs} ms`));
      }, timeoutMs);
      const onCall = (c: TwilioCall) => {
        if (!predicate(c)) return;
        clearTimeout(timer);
        this.off('call', onCall);
        resolve(c);
      };
      this.on('call', onCall);
    });
  }

  /**
   * Sends any webhook to the app, signed as Twilio would (`valid`), with another key (`wrong`) or unsigned (`none`):
   * for signature-guard tests and for replaying a status callback.
   */
  sendWebhook(spec: {
    readonly url: string;
    readonly params: Readonly<Record<string, string>>;
    readonly method?: 'GET' | 'POST';
    readonly signature?: SignatureMode;
    readonly headers?: Readonly<Record<string, string>>;
  }): Promise<HttpResult | { readonly error: string }> {
    return sendTwilioRequest(this.env, {
      method: spec.method ?? 'POST',
      url: spec.url,
      params: spec.params,
      signature: spec.signature ?? 'valid',
      headers: spec.headers,
    });
  }

  /** A JSON-bodied webhook: `bodySHA256=<hex sha256>` is added to the URL, which is signed with `{}` params. */
  async sendJsonWebhook(
    url: string,
    body: string,
    signature: SignatureMode = 'valid',
  ): Promise<HttpResult | { readonly error: string }> {
    const signedUrl = `${url}${url.includes('?') ? '&' : '?'}bodySHA256=${twilio.getExpectedBodyHash(body)}`;
    try {
      return await sendHttp({
        method: 'POST',
        url: this.urlMap.toReal(signedUrl),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'TwilioProxy/1.1',
          ...this.signer.headers(signedUrl, {}, signature),
        },
        body,
        timeoutMs: this.env.webhookTimeoutMs,
        signal: this.shutdown.signal,
      });
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  // ---- REST ----------------------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://twilio.local');
    let params: FormParams;
    try {
      params = parseForm((await readBody(req)).toString('utf8'));
    } catch {
      return sendJson(res, 400, twilioError(400, 20001, 'Request body too large'));
    }
    for (const [k, v] of url.searchParams) params[k] ??= v;
    const entry: TwilioRestRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      params,
      at: Date.now(),
      authorized: this.authorized(req),
    };
    this.restRequests.push(entry);
    const reply = (status: number, body: unknown) => {
      entry.status = status;
      const e = {
        kind: 'rest',
        method: entry.method,
        path: entry.path,
        status,
        source: 'twilio',
        at: Date.now(),
        callSid: entry.callSid,
      } as TimelineEvent;
      const call = entry.callSid ? this.calls.get(entry.callSid) : undefined;
      if (call) call.addTimeline({ ...e, t: undefined } as TimelineEvent);
      this.record(e);
      this.emit('rest', entry);
      if (status === 204) {
        res.writeHead(204);
        res.end();
      } else sendJson(res, status, body);
    };

    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls(?:\/([^/]+?))?\.json$/.exec(url.pathname);
    if (!entry.authorized) return reply(401, twilioError(401, 20003, 'Authenticate'));
    if (!m || m[1] !== this.options.accountSid) {
      return reply(404, twilioError(404, 20404, `The requested resource ${url.pathname} was not found`));
    }
    const sid = m[2];
    entry.callSid = sid;
    if (!sid) {
      if (req.method === 'POST') return this.createCall(params, entry, reply);
      if (req.method === 'GET') {
        const calls = [...this.calls.values()].map((c) => this.resource(c));
        return reply(200, {
          calls,
          page: 0,
          page_size: 50,
          start: 0,
          end: calls.length - 1,
          uri: url.pathname,
          first_page_uri: url.pathname,
          next_page_uri: null,
          previous_page_uri: null,
        });
      }
      return reply(405, twilioError(405, 20004, 'Method not allowed'));
    }
    const call = this.calls.get(sid);
    const notFound = () => reply(404, twilioError(404, 20404, `The requested resource ${url.pathname} was not found`));
    if (!call) return notFound();
    if (req.method === 'GET') return reply(200, this.resource(call));
    if (req.method === 'DELETE') {
      if (call.isLive) return reply(400, twilioError(400, 21220, 'Cannot delete a call in progress'));
      this.calls.delete(sid);
      return reply(204, undefined);
    }
    if (req.method !== 'POST') return reply(405, twilioError(405, 20004, 'Method not allowed'));
    // An update of a call that has ended is refused like an unknown one: the app treats 20404 as "already gone".
    if (!call.isLive) return notFound();
    const status = one(params.Status);
    const twiml = one(params.Twiml);
    const voiceUrl = one(params.Url);
    if (status === 'completed' || status === 'canceled') call.hangup('api');
    else if (twiml !== undefined) call.redirectToTwiml(twiml);
    else if (voiceUrl !== undefined)
      call.redirectToUrl(voiceUrl, one(params.Method)?.toUpperCase() === 'GET' ? 'GET' : 'POST');
    else if (status !== undefined) return reply(400, twilioError(400, 21218, `Invalid value for Status: ${status}`));
    return reply(200, this.resource(call));
  }

  private createCall(
    params: FormParams,
    entry: TwilioRestRequest,
    reply: (status: number, body: unknown) => void,
  ): void {
    const to = one(params.To);
    const from = one(params.From);
    const voiceUrl = one(params.Url);
    const twiml = one(params.Twiml);
    if (!to) return reply(400, twilioError(400, 21201, "No 'To' number is specified"));
    if (!from) return reply(400, twilioError(400, 21213, "No 'From' number is specified"));
    if (!voiceUrl && !twiml && !one(params.ApplicationSid))
      return reply(400, twilioError(400, 21205, 'Url parameter is required'));
    const events = all(params.StatusCallbackEvent)
      .flatMap((e) => e.split(/\s+/))
      .filter(Boolean);
    if (events.some((e) => !PROGRESS_EVENTS.has(e)))
      return reply(400, twilioError(400, 21626, "Invalid 'StatusCallbackEvent'"));
    const statusCallbackUrl = one(params.StatusCallback);
    const callSid = twilioSid('CA');
    entry.callSid = callSid;
    const plan = this.options.outbound?.({ callSid, to, from }) ?? {};
    const planned = new TwilioCall(this.env, {
      callSid,
      direction: 'outbound-api',
      from,
      to,
      voice: twiml
        ? { twiml }
        : { url: voiceUrl!, method: one(params.Method)?.toUpperCase() === 'GET' ? 'GET' : 'POST' },
      statusCallback: statusCallbackUrl
        ? {
            url: statusCallbackUrl,
            method: one(params.StatusCallbackMethod)?.toUpperCase() === 'GET' ? 'GET' : 'POST',
            events: events.length ? (events as CallProgressEvent[]) : ['completed'],
          }
        : undefined,
      machineDetection: one(params.MachineDetection),
      answeredBy: plan.answeredBy,
      script: plan.script,
    });
    this.track(planned);
    reply(201, this.resource(planned));
    // Twilio places the call after answering the request.
    setImmediate(() => void planned.run({ answer: plan.answer, ringMs: plan.ringMs }));
  }

  private authorized(req: IncomingMessage): boolean {
    const h = headerValue(req.headers, 'authorization');
    if (!h?.startsWith('Basic ')) return false;
    const decoded = Buffer.from(h.slice(6), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) return false;
    const user = decoded.slice(0, i);
    const pass = decoded.slice(i + 1);
    if (user === this.options.accountSid) return safeEqual(pass, this.options.authToken);
    const key = this.options.apiKeys?.find((k) => k.sid === user);
    return key !== undefined && safeEqual(pass, key.secret);
  }

  private resource(call: TwilioCall): Record<string, unknown> {
    const uri = `/2010-04-01/Accounts/${this.options.accountSid}/Calls/${call.callSid}.json`;
    const status: TwilioCallStatus = call.status;
    return {
      sid: call.callSid,
      date_created: rfc2822(call.createdAt),
      date_updated: rfc2822(Date.now()),
      parent_call_sid: null,
      account_sid: this.options.accountSid,
      to: call.to,
      to_formatted: call.to,
      from: call.from,
      from_formatted: call.from,
      phone_number_sid: null,
      status,
      start_time: call.answeredAt ? rfc2822(call.answeredAt) : null,
      end_time: call.endedAt ? rfc2822(call.endedAt) : null,
      duration: call.endedAt && call.answeredAt ? String(Math.round((call.endedAt - call.answeredAt) / 1000)) : null,
      price: null,
      price_unit: 'USD',
      direction: call.direction,
      answered_by: null,
      api_version: '2010-04-01',
      forwarded_from: null,
      group_sid: null,
      caller_name: null,
      queue_time: '0',
      trunk_sid: null,
      uri,
      subresource_uris: {
        notifications: uri.replace('.json', '/Notifications.json'),
        recordings: uri.replace('.json', '/Recordings.json'),
        streams: uri.replace('.json', '/Streams.json'),
        payments: uri.replace('.json', '/Payments.json'),
        events: uri.replace('.json', '/Events.json'),
        siprec: uri.replace('.json', '/Siprec.json'),
      },
    };
  }

  private track(call: TwilioCall): void {
    this.calls.set(call.callSid, call);
    this.emit('call', call);
  }

  private record(e: TimelineEvent): void {
    this.timeline.push(e);
    this.emit('timeline', e);
  }
}

function twilioError(status: number, code: number, message: string): Record<string, unknown> {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function all(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function rfc2822(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.byteLength === y.byteLength && timingSafeEqual(x, y);
}
