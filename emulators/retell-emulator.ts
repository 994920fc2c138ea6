/**
 * Retell AI, as far as callbridge can observe it: the REST API the `retell-sdk` client calls
 * (`POST /v2/register-phone-call`, `GET /v2/get-call/{call_id}`), the SIP endpoint Twilio dials
 * (`sip:{call_id}@sip.retellai.com;transport=tcp`), the signed webhooks it sends about a call, and custom-function
 * calls. A real node:http server; knobs make it slow, failing or down for the app's fallback tests.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { PhoneCallResponse } from 'retell-sdk/resources/call';
import type { RetellEventName } from '../src/protocol/retell-events.js';
import { closeServer, headerValue, listen, readBody, sendJson, sleep } from './emulator-http.js';
import { PublicUrlMap, type PublicUrlMapping } from './public-url-map.js';
import { RetellWebhookSender, type RetellDelivery, type RetellSignatureMode } from './retell-webhook-sender.js';
import {
  buildCallObject,
  defaultAnalysis,
  isRecord,
  parseSipUri,
  twilioSidOf,
  validateRegistration,
  type RetellCallState,
  type RetellRegistration,
} from './retell-call.js';
import { retellCallId } from './sids.js';
import type { SipDialRequest, SipDialResult, SipEndpoint, SipLeg, SipLegEnd } from './sip-endpoint.js';
import type { TimelineEvent, TimelineEventBody } from './timeline.js';
import { OwnedTimers } from './owned-timers.js';

/** Options of {@link RetellEmulator}. */
export interface RetellEmulatorOptions {
  /** Authenticates REST calls (`Authorization: Bearer`) and signs webhooks. */
  readonly apiKey: string;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0 (a free port). */
  readonly port?: number;
  /** The agent's webhook URL (may be a public URL: see `urlMap`). Without it no webhooks are sent. */
  readonly webhookUrl?: string;
  /** Maps the app's public URL to where it listens (see also {@link RetellEmulator.configureApp}). */
  readonly urlMap?: PublicUrlMap;
  /** When set, `agent_id`s outside the list get 404. */
  readonly agentIds?: readonly string[];
  /** Default `sip.retellai.com`. */
  readonly sipDomain?: string;
  /** A registered call not dialled within this ends with `registered_call_timeout`. Default 5 minutes. */
  readonly registeredCallTimeoutMs?: number;
  /** How long a webhook may take to answer. Default 10 000 (Retell's). */
  readonly webhookTimeoutMs?: number;
  /** Retries of a non-2xx webhook. Default 3 (Retell's). */
  readonly webhookRetries?: number;
  /** Wait between retries. Default 1000 ms. */
  readonly webhookRetryDelayMs?: number;
  /** Delay between `call_ended` and `call_analyzed`. Default 100 ms. */
  readonly analysisDelayMs?: number;
  /** Base of the `recording_url` reported. */
  readonly recordingBaseUrl?: string;
}

/** A REST request as received. */
export interface RetellApiRequest {
  readonly method: string;
  readonly path: string;
  readonly at: number;
  readonly authorized: boolean;
  readonly body?: unknown;
  status?: number;
  /** The client hung up before the (delayed) response. */
  clientAborted?: boolean;
}

/** How the next SIP dial fails, for tests. */
export interface SipFailure {
  readonly status: 'failed' | 'busy' | 'no-answer';
  readonly sipCode: number;
}

/** Events of {@link RetellEmulator}. */
export interface RetellEmulatorEvents {
  timeline: [TimelineEvent];
  registration: [RetellRegistration];
  delivery: [RetellDelivery];
}

/** Retell's API, SIP endpoint and webhooks, emulated. */
export class RetellEmulator extends EventEmitter<RetellEmulatorEvents> implements SipEndpoint {
  /** Every REST request, in order. */
  readonly requests: RetellApiRequest[] = [];
  /** Every register-phone-call request, in order (failed ones too). */
  readonly registrations: RetellRegistration[] = [];
  /** Every webhook / function delivery attempt, in order of sending. */
  readonly deliveries: RetellDelivery[] = [];
  /** Calls by `call_id`. */
  readonly calls = new Map<string, RetellCallState>();
  /** Public → real URL mapping used for every webhook and function call. */
  readonly urlMap: PublicUrlMap;

  private readonly server: Server;
  private readonly shutdown = new AbortController();
  private readonly sender: RetellWebhookSender;
  private readonly timers = new OwnedTimers();
  private readonly legs = new Map<string, { end(by: SipLegEnd['by'], reason: string, notify: boolean): void }>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly lastBodies = new Map<string, string>();
  private port: number;
  private isDown = false;
  private closed = false;
  private latencyMs = 0;
  private failure: { status: number; remaining: number } | undefined;
  private sipFailures: SipFailure[] = [];
  private webhookUrl: string | undefined;

  constructor(private readonly options: RetellEmulatorOptions) {
    super();
    this.port = options.port ?? 0;
    this.webhookUrl = options.webhookUrl;
    this.urlMap = options.urlMap ?? new PublicUrlMap();
    this.sender = new RetellWebhookSender({
      apiKey: options.apiKey,
      urlMap: this.urlMap,
      timeoutMs: options.webhookTimeoutMs ?? 10_000,
      signal: this.shutdown.signal,
    });
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** `http://host:port` once started. */
  get baseUrl(): string {
    return `http://${this.options.host ?? '127.0.0.1'}:${this.port}`;
  }

  get sipDomain(): string {
    return this.options.sipDomain ?? 'sip.retellai.com';
  }

  /** Starts listening; resolves with the base URL to give `new Retell({ baseURL })`. */
  async start(): Promise<string> {
    this.port = await listen(this.server, this.options.host ?? '127.0.0.1', this.port);
    return this.baseUrl;
  }

  /** Stops everything: server, sockets, timers, in-flight webhooks, live calls (without webhooks). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.shutdown.abort();
    this.timers.clear();
    for (const leg of [...this.legs.values()]) leg.end('remote', 'error_retell', false);
    await closeServer(this.server);
  }

  // ---- knobs -------------------------------------------------------------------------------------------------

  /** Delays every REST response by `ms` (0 to reset), e.g. 3000 for "slow". */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Answers the next `times` REST requests (all when omitted) with `status` (e.g. 500). */
  failWith(status: number, times = Number.POSITIVE_INFINITY): void {
    this.failure = { status, remaining: times };
  }

  /** Stops listening: connections are refused until {@link up}. */
  async down(): Promise<void> {
    if (this.isDown) return;
    this.isDown = true;
    await closeServer(this.server);
  }

  /** Listens again, on the same port. */
  async up(): Promise<void> {
    if (!this.isDown) return;
    await listen(this.server, this.options.host ?? '127.0.0.1', this.port);
    this.isDown = false;
  }

  /** Back to a healthy, fast API. */
  async reset(): Promise<void> {
    this.latencyMs = 0;
    this.failure = undefined;
    this.sipFailures = [];
    await this.up();
  }

  /** The next SIP dial fails this way (queued: one per call). */
  failNextDial(failure: SipFailure = { status: 'failed', sipCode: 503 }): void {
    this.sipFailures.push(failure);
  }

  /** Tells the emulator where the app really listens for its public URL (like a reverse proxy). */
  configureApp(app: PublicUrlMapping): void {
    this.urlMap.add(app);
  }

  /** Where webhooks go from now on (undefined: none). */
  setWebhookUrl(url: string | undefined): void {
    this.webhookUrl = url;
  }

  // ---- SIP ---------------------------------------------------------------------------------------------------

  /** Whether `uri` is a Retell SIP URI (`sip:…@<sipDomain>`). */
  handles(uri: string): boolean {
    const parsed = parseSipUri(uri);
    return parsed !== undefined && parsed.host.toLowerCase() === this.sipDomain.toLowerCase();
  }

  /**
   * Twilio dials `sip:{call_id}@sip.retellai.com;transport=tcp`. A registered call answers and goes `ongoing`
   * (`call_started`); anything else fails with SIP 404, as Retell refuses an unknown call.
   */
  async dial(request: SipDialRequest): Promise<SipDialResult> {
    const parsed = parseSipUri(request.uri);
    const forced = this.sipFailures.shift();
    if (forced) return { ok: false, status: forced.status, sipCode: forced.sipCode, reason: 'forced by test' };
    const call = parsed ? this.calls.get(parsed.user) : undefined;
    if (!parsed || !call)
      return { ok: false, status: 'failed', sipCode: 404, reason: 'no registered call with that call_id' };
    if (call.status !== 'registered') {
      return { ok: false, status: 'failed', sipCode: 404, reason: `call is ${call.status}, not registered` };
    }
    call.status = 'ongoing';
    call.startTimestamp = Date.now();
    call.twilioCallSid = request.callSid;
    call.dialCallSid = request.dialCallSid;
    call.transcript = request.transcript ?? [];
    call.analysis = request.analysis;
    this.emitTimeline({ kind: 'retell', phase: 'ongoing', callId: call.callId }, call);
    void this.deliver(call, 'call_started');

    const transcriptTimers: NodeJS.Timeout[] = [];
    for (let i = 0; i < call.transcript.length; i++) {
      const upTo = i + 1;
      transcriptTimers.push(
        this.later(call.transcript[i]!.atMs, () => this.deliver(call, 'transcript_updated', { linesUpTo: upTo })),
      );
    }
    let resolveEnded!: (e: SipLegEnd) => void;
    let resolveSettled!: () => void;
    const ended = new Promise<SipLegEnd>((r) => (resolveEnded = r));
    const settled = new Promise<void>((r) => (resolveSettled = r));
    const end = (by: SipLegEnd['by'], reason: string, notify: boolean) => {
      if (call.status !== 'ongoing') return;
      this.legs.delete(call.callId);
      for (const t of transcriptTimers) this.cancel(t);
      call.status = 'ended';
      call.endTimestamp = Date.now();
      call.disconnectionReason = reason;
      this.emitTimeline({ kind: 'retell', phase: 'ended', callId: call.callId, detail: reason }, call);
      resolveEnded({ by, reason });
      if (!notify) return resolveSettled();
      const endedDelivery = this.deliver(call, 'call_ended');
      this.later(this.options.analysisDelayMs ?? 100, () => {
        call.callAnalysis = defaultAnalysis(call);
        void Promise.all([endedDelivery, this.deliver(call, 'call_analyzed')]).then(() => resolveSettled());
      });
    };
    this.legs.set(call.callId, { end });
    const leg: SipLeg = {
      remoteId: call.callId,
      ended,
      settled,
      // The script's "agent hangs up" is the agent's doing, whoever relays it.
      hangup: (reason) => end(reason === 'agent_hangup' ? 'remote' : 'local', reason, true),
    };
    return { ok: true, leg };
  }

  /** The agent side ends a live call (e.g. the agent said goodbye): Twilio sees the SIP leg hang up. */
  endCall(callId: string, reason = 'agent_hangup'): void {
    this.legs.get(callId)?.end('remote', reason, true);
  }

  // ---- webhooks and functions ------------------------------------------------------------------------------

  /**
   * Sends `event` about a call now, out of the normal flow (e.g. a transfer event, or a second copy). Resolves with
   * the delivery (no retries).
   */
  async sendEvent(
    callId: string,
    event: RetellEventName,
    opts: {
      readonly signature?: RetellSignatureMode;
      readonly url?: string;
      readonly extra?: Record<string, unknown>;
    } = {},
  ): Promise<RetellDelivery> {
    const call = this.mustGet(callId);
    const body = JSON.stringify({ event, call: { ...this.callObject(call, event), ...opts.extra } });
    return this.record(
      await this.sender.post(opts.url ?? this.requireWebhookUrl(), body, {
        purpose: 'retell-webhook',
        event,
        callId,
        attempt: 1,
        signature: opts.signature ?? 'valid',
      }),
      call,
    );
  }

  /**
   * Sends the exact body of the last `event` delivered for the call again (as a Retell retry does), freshly signed.
   */
  async resend(
    callId: string,
    event: RetellEventName,
    signature: RetellSignatureMode = 'valid',
  ): Promise<RetellDelivery> {
    const call = this.mustGet(callId);
    const body = this.lastBodies.get(`${callId}:${event}`);
    if (!body) throw new Error(`no ${event} was sent for ${callId}`);
    const attempt = this.deliveries.filter((d) => d.callId === callId && d.event === event).length + 1;
    return this.record(
      await this.sender.post(this.requireWebhookUrl(), body, {
        purpose: 'retell-webhook',
        event,
        callId,
        attempt,
        signature,
      }),
      call,
    );
  }

  /** POSTs any body to any URL with a Retell signature (valid or not), for signature-guard tests. */
  async sendRaw(url: string, body: string, signature: RetellSignatureMode = 'valid'): Promise<RetellDelivery> {
    return this.record(await this.sender.post(url, body, { purpose: 'custom', attempt: 1, signature }));
  }

  /**
   * Calls a custom function as Retell does: POST `{ call, name, args }` (or the bare args with `argsAtRoot`), signed.
   * Resolves with the HTTP status and body (parsed when JSON), which Retell hands to the agent.
   */
  async invokeFunction(
    url: string,
    fn: {
      readonly name: string;
      readonly args: Readonly<Record<string, unknown>>;
      readonly callId?: string;
      readonly argsAtRoot?: boolean;
      readonly signature?: RetellSignatureMode;
      readonly timeoutMs?: number;
    },
  ): Promise<{
    readonly status?: number;
    readonly body?: string;
    readonly json?: unknown;
    readonly error?: string;
    readonly delivery: RetellDelivery;
  }> {
    const call = fn.callId ? this.mustGet(fn.callId) : undefined;
    const payload = fn.argsAtRoot
      ? fn.args
      : { call: call ? this.callObject(call, 'function') : undefined, name: fn.name, args: fn.args };
    const delivery = this.record(
      await this.sender.post(
        url,
        JSON.stringify(payload),
        {
          purpose: 'retell-function',
          event: fn.name,
          callId: fn.callId,
          attempt: 1,
          signature: fn.signature ?? 'valid',
        },
        fn.timeoutMs,
      ),
      call,
    );
    let json: unknown;
    try {
      json = delivery.responseBody ? JSON.parse(delivery.responseBody) : undefined;
    } catch {
      json = undefined;
    }
    return { status: delivery.status, body: delivery.responseBody, json, error: delivery.error, delivery };
  }

  /** Resolves with the first delivery (past or future) matching `predicate`; rejects after `timeoutMs`. */
  waitForDelivery(predicate: (d: RetellDelivery) => boolean, timeoutMs = 5000): Promise<RetellDelivery> {
    const found = this.deliveries.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onDelivery = (d: RetellDelivery) => {
        if (!predicate(d)) return;
        this.cancel(timer);
        this.off('delivery', onDelivery);
        resolve(d);
      };
      const timer = this.later(timeoutMs, () => {
        this.off('delivery', onDelivery);
        reject(new Error(`no matching Retell delivery within ${timeoutMs} ms`));
      });
      this.on('delivery', onDelivery);
    });
  }

  /** The call object as Retell's get-call and webhooks present it. */
  callObject(
    call: RetellCallState,
    purpose: RetellEventName | 'get' | 'function' = 'get',
    linesUpTo?: number,
  ): Record<string, unknown> {
    return buildCallObject(call, purpose, linesUpTo, this.options.recordingBaseUrl);
  }

  // ---- internals ---------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://retell.local');
    const authorized = headerValue(req.headers, 'authorization') === `Bearer ${this.options.apiKey}`;
    let body: unknown;
    try {
      const raw = await readBody(req);
      body = raw.byteLength ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      body = Symbol.for('invalid-json');
    }
    const entry: RetellApiRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      at: Date.now(),
      authorized,
      body,
    };
    this.requests.push(entry);
    let aborted = false;
    res.on('close', () => {
      if (!res.writableFinished) aborted = true;
    });
    if (this.latencyMs > 0) await sleep(this.latencyMs, this.shutdown.signal);
    const reply = (status: number, payload: unknown) => {
      entry.status = status;
      entry.clientAborted = aborted || res.destroyed;
      this.emitTimeline({ kind: 'rest', method: entry.method, path: entry.path, status });
      if (!res.destroyed) sendJson(res, status, payload);
    };
    if (this.closed) return reply(503, { status: 'error', message: 'shutting down' });
    if (this.failure && this.failure.remaining > 0) {
      this.failure.remaining--;
      const status = this.failure.status;
      if (this.failure.remaining <= 0) this.failure = undefined;
      if (url.pathname === '/v2/register-phone-call') this.recordRegistration(body, status);
      return reply(status, { status: 'error', message: `emulated failure (${status})` });
    }
    if (!authorized) return reply(401, { status: 'error', message: 'Invalid API key' });
    if (typeof body === 'symbol') return reply(400, { status: 'error', message: 'Invalid JSON body' });

    if (req.method === 'POST' && url.pathname === '/v2/register-phone-call') {
      const [status, payload] = this.register(body);
      return reply(status, payload);
    }
    const getCall = /^\/v2\/get-call\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && getCall) {
      const call = this.calls.get(decodeURIComponent(getCall[1]!));
      return call ? reply(200, this.callObject(call)) : reply(404, { status: 'error', message: 'Call not found' });
    }
    return reply(404, { status: 'error', message: `No route ${req.method} ${url.pathname}` });
  }

  private recordRegistration(body: unknown, status: number, callId?: string): RetellRegistration {
    const r: RetellRegistration = { at: Date.now(), body: isRecord(body) ? body : {}, status, callId };
    this.registrations.push(r);
    this.emit('registration', r);
    return r;
  }

  private register(body: unknown): [number, unknown] {
    const problems = validateRegistration(body);
    if (problems.length) {
      this.recordRegistration(body, 400);
      return [400, { status: 'error', message: problems.join('; ') }];
    }
    const b = body as RetellRegistration['body'] & { agent_id: string };
    if (this.options.agentIds && !this.options.agentIds.includes(b.agent_id)) {
      this.recordRegistration(body, 404);
      return [404, { status: 'error', message: `Agent ${b.agent_id} not found` }];
    }
    const callId = retellCallId();
    const version = typeof b.agent_version === 'number' ? b.agent_version : Number(b.agent_version ?? 0) || 0;
    const call: RetellCallState = {
      callId,
      registration: b,
      agentId: b.agent_id,
      agentVersion: version,
      status: 'registered',
      registeredAt: Date.now(),
      transcript: [],
    };
    this.calls.set(callId, call);
    this.recordRegistration(body, 201, callId);
    this.emitTimeline({ kind: 'retell', phase: 'registered', callId, detail: `agent ${b.agent_id}` }, call);
    this.later(this.options.registeredCallTimeoutMs ?? 5 * 60_000, () => {
      if (call.status !== 'registered') return;
      call.status = 'not_connected';
      call.endTimestamp = Date.now();
      call.disconnectionReason = 'registered_call_timeout';
      this.emitTimeline({ kind: 'retell', phase: 'ended', callId, detail: 'registered_call_timeout' }, call);
      void this.deliver(call, 'call_ended');
    });
    const response: PhoneCallResponse = {
      call_id: callId,
      agent_id: b.agent_id,
      agent_version: version,
      call_status: 'registered',
      call_type: 'phone_call',
      direction: b.direction ?? 'inbound',
      from_number: b.from_number ?? '',
      to_number: b.to_number ?? '',
      metadata: b.metadata,
      retell_llm_dynamic_variables: b.retell_llm_dynamic_variables,
    };
    return [201, response];
  }

  /**
   * Queues a webhook for the call. Deliveries for one call go out in order, each after the previous one's first
   * attempt finished; a failed attempt is retried later without holding up the queue (Retell: in order, not blocking).
   */
  private deliver(call: RetellCallState, event: RetellEventName, opts: { linesUpTo?: number } = {}): Promise<void> {
    const url = this.webhookUrl;
    if (!url || this.closed) return Promise.resolve();
    // The snapshot is taken now, not when the queue gets to it: a webhook describes the moment of the event.
    const body = JSON.stringify({ event, call: this.callObject(call, event, opts.linesUpTo) });
    this.lastBodies.set(`${call.callId}:${event}`, body);
    const prev = this.chains.get(call.callId) ?? Promise.resolve();
    const next = prev.then(() => this.attempt(call, url, event, body, 1));
    this.chains.set(call.callId, next);
    return next;
  }

  private async attempt(
    call: RetellCallState,
    url: string,
    event: RetellEventName,
    body: string,
    attempt: number,
  ): Promise<void> {
    if (this.closed) return;
    const d = this.record(
      await this.sender.post(url, body, {
        purpose: 'retell-webhook',
        event,
        callId: call.callId,
        attempt,
        signature: 'valid',
      }),
      call,
    );
    const ok = d.status !== undefined && d.status >= 200 && d.status < 300;
    if (!ok && attempt <= (this.options.webhookRetries ?? 3) && !this.closed) {
      this.later(
        this.options.webhookRetryDelayMs ?? 1000,
        () => void this.attempt(call, url, event, body, attempt + 1),
      );
    }
  }

  private record(d: RetellDelivery, call?: RetellCallState): RetellDelivery {
    this.deliveries.push(d);
    this.emitTimeline(
      d.error
        ? {
            kind: 'webhook',
            phase: 'failed',
            purpose: d.purpose,
            method: 'POST',
            url: d.url,
            error: d.error,
            detail: d.event,
            ms: d.ms,
          }
        : {
            kind: 'webhook',
            phase: 'answered',
            purpose: d.purpose,
            method: 'POST',
            url: d.url,
            status: d.status,
            ms: d.ms,
            detail: d.event + (d.attempt > 1 ? ` (attempt ${d.attempt})` : ''),
          },
      call,
    );
    this.emit('delivery', d);
    return d;
  }

  private mustGet(callId: string): RetellCallState {
    const call = this.calls.get(callId);
    if (!call) throw new Error(`unknown Retell call ${callId}`);
    return call;
  }

  private requireWebhookUrl(): string {
    if (!this.webhookUrl) throw new Error('RetellEmulator: no webhookUrl configured');
    return this.webhookUrl;
  }

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    return this.timers.later(ms, fn);
  }

  private cancel(t: NodeJS.Timeout): void {
    this.timers.cancel(t);
  }

  private emitTimeline(body: TimelineEventBody, call?: RetellCallState): void {
    const event = {
      ...body,
      source: 'retell',
      at: Date.now(),
      callSid: call ? twilioSidOf(call) : undefined,
    } as TimelineEvent;
    this.emit('timeline', event);
  }
}

export { parseSipUri } from './retell-call.js';
export type { RetellCallState, RetellCallStatus, RetellRegistration } from './retell-call.js';
