/**
 * One emulated Twilio call: status callbacks, the voice webhook, and the TwiML it gets back, executed verb by verb
 * the way Twilio does (`<Start><Stream>` forks and goes on, `<Connect><Stream>` holds the call until the server closes
 * the socket, `<Dial>` holds it until the dialled leg ends and then posts its `action`, …). REST updates from the app
 * interrupt the current TwiML (redirect) or end the call.
 */
import { EventEmitter } from 'node:events';
import { TERMINAL_CALL_STATUSES, type TwilioCallStatus } from '../src/protocol/twilio-webhooks.js';
import { sleep } from './emulator-http.js';
import { MediaStreamClient, type StreamMode } from './media-stream-client.js';
import type { SipLeg } from './sip-endpoint.js';
import { twilioSid } from './sids.js';
import type { TimelineEvent, TimelineEventBody, WebhookPurpose } from './timeline.js';
import { resolveScript, type ResolvedScript } from './twilio-call-script.js';
import type {
  CallEndReason,
  CallEnvironment,
  CallInit,
  CallOutcome,
  CallProgressEvent,
  DialRecord,
  WebhookRecord,
} from './twilio-call.types.js';
import { sendTwilioRequest } from './twilio-request.js';
import { describeVerb, parseTwiml, type TwimlStream, type TwimlVerb } from './twiml-parser.js';
import { OwnedTimers } from './owned-timers.js';

export type * from './twilio-call.types.js';
export { sendTwilioRequest, type TwilioRequestSpec } from './twilio-request.js';

type Next =
  | { readonly kind: 'continue' }
  | { readonly kind: 'document'; readonly xml: string; readonly source: WebhookPurpose }
  | { readonly kind: 'stop' };

const CONTINUE: Next = { kind: 'continue' };
const STOP: Next = { kind: 'stop' };

/** A REST update waiting for the TwiML loop. */
type PendingUpdate =
  | { readonly kind: 'twiml'; readonly xml: string }
  | { readonly kind: 'url'; readonly url: string; readonly method: 'GET' | 'POST' };

/** Events of {@link TwilioCall}. */
export interface TwilioCallEvents {
  timeline: [TimelineEvent];
  ended: [CallOutcome];
}

/** Terminal status → the SIP code Twilio reports with it. */
const SIP_CODES: Record<string, number> = { completed: 200, busy: 486, 'no-answer': 480, failed: 500, canceled: 487 };

/**
 * A live call. Returned by `TwilioEmulator.placeInboundCall` (and created for `calls.create`): await `outcome`.
 */
export class TwilioCall extends EventEmitter<TwilioCallEvents> {
  readonly callSid: string;
  readonly direction: 'inbound' | 'outbound-api';
  readonly from: string;
  readonly to: string;
  /** Resolves when the call has ended and everything about it was delivered. Never rejects. */
  readonly outcome: Promise<CallOutcome>;
  readonly timeline: TimelineEvent[] = [];
  /** Every media stream the call opened. */
  readonly streams: MediaStreamClient[] = [];
  readonly createdAt = Date.now();

  status: TwilioCallStatus = 'queued';
  answeredAt: number | undefined;
  endedAt: number | undefined;

  private readonly t0 = performance.now();
  private readonly script: ResolvedScript;
  private readonly twimlDocs: { source: WebhookPurpose | 'inline' | 'rest'; xml: string }[] = [];
  private readonly verbs: { verb: string; detail: string; t: number }[] = [];
  private readonly says: string[] = [];
  private readonly transfers: string[] = [];
  private readonly dials: DialRecord[] = [];
  private readonly webhooks: WebhookRecord[] = [];
  private readonly statusCallbacks: WebhookRecord[] = [];
  private readonly errors: { code: number; message: string }[] = [];
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly heldStatus: (() => Promise<unknown>)[] = [];
  private readonly legs: SipLeg[] = [];
  private readonly timers = new OwnedTimers();
  private readonly abort = new AbortController();
  private sequence = 0;
  private pending: PendingUpdate | undefined;
  private callerGone: CallEndReason | undefined;
  private scriptEnded = false;
  private wakers = new Set<() => void>();
  private resolveOutcome!: (o: CallOutcome) => void;
  private finished = false;
  private currentDocUrl: string | undefined;
  private rejected = false;
  private readonly streamNames = new Map<MediaStreamClient, string | undefined>();

  constructor(
    private readonly env: CallEnvironment,
    private readonly init: CallInit,
  ) {
    super();
    this.callSid = init.callSid ?? twilioSid('CA');
    this.direction = init.direction;
    this.from = init.from;
    this.to = init.to;
    this.script = resolveScript(init.script);
    this.outcome = new Promise((r) => (this.resolveOutcome = r));
    env.signal.addEventListener('abort', () => this.requestEnd('emulator-closed'), { once: true });
  }

  /** The script's resolved settings (durations, transcript). */
  get resolvedScript(): ResolvedScript {
    return this.script;
  }

  get isLive(): boolean {
    return !this.finished && !TERMINAL_CALL_STATUSES.has(this.status);
  }

  /** ms since the call was created. */
  now(): number {
    return performance.now() - this.t0;
  }

  /** Adds an event from elsewhere (the Retell emulator) to this call's timeline. */
  addTimeline(event: TimelineEvent): TimelineEvent {
    const e = { ...event, callSid: this.callSid, t: event.t ?? event.at - this.createdAt } as TimelineEvent;
    this.timeline.push(e);
    this.emit('timeline', e);
    return e;
  }

  // ---- control from REST / tests ------------------------------------------------------------------------------

  /** REST `Twiml=`: stop the current TwiML and run this instead. */
  redirectToTwiml(xml: string): void {
    this.pending = { kind: 'twiml', xml };
    this.wake();
  }

  /** REST `Url=`: stop the current TwiML and run what this URL returns. */
  redirectToUrl(url: string, method: 'GET' | 'POST' = 'POST'): void {
    this.pending = { kind: 'url', url, method };
    this.wake();
  }

  /** The caller hangs up now (or REST `Status=completed|canceled`: `api`). */
  hangup(reason: CallEndReason = 'caller'): void {
    this.requestEnd(reason);
  }

  // ---- the call ------------------------------------------------------------------------------------------------

  /** Runs the call to its end. Called once by the emulator. */
  async run(
    plan: { readonly answer?: 'answer' | 'busy' | 'no-answer' | 'failed'; readonly ringMs?: number } = {},
  ): Promise<CallOutcome> {
    this.note({ kind: 'call', phase: 'created', detail: `${this.direction} ${this.from} → ${this.to}` });
    this.later(this.env.maxCallMs, () => this.requestEnd('max-duration'));
    try {
      if (this.direction === 'outbound-api') {
        this.setStatus('initiated');
        this.sendStatusCallback('initiated');
        this.setStatus('ringing');
        this.sendStatusCallback('ringing');
        this.note({ kind: 'call', phase: 'ringing' });
        await this.waitFor(sleep(plan.ringMs ?? 0, this.abort.signal));
        if (plan.answer && plan.answer !== 'answer') return await this.finish(plan.answer, 'not-answered');
        if (this.callerGone) return await this.finish('canceled', this.callerGone);
        this.answer();
      } else {
        this.setStatus('ringing');
        this.sendStatusCallback('initiated');
        this.sendStatusCallback('ringing');
        this.note({ kind: 'call', phase: 'ringing' });
      }
      let next = await this.firstDocument();
      while (next.kind === 'document' && !this.callerGone) {
        const r = await this.runDocument(next.xml, next.source);
        if (r.kind === 'document') next = r;
        else if (this.pending && !this.callerGone) next = await this.takePending();
        else break;
      }
      return await this.finish(
        this.answeredAt ? 'completed' : this.callerGone ? 'canceled' : 'completed',
        this.callerGone ?? 'twiml',
      );
    } catch (err) {
      this.error(0, `emulator error: ${(err as Error).message}`);
      return this.finish('failed', 'error');
    }
  }

  private async firstDocument(): Promise<Next> {
    const v = this.init.voice;
    if ('twiml' in v) return { kind: 'document', xml: v.twiml, source: 'voice' };
    const repeats = this.init.script?.voiceWebhookRepeats ?? 0;
    const status = this.direction === 'inbound' ? 'ringing' : 'in-progress';
    const method = v.method ?? 'POST';
    const sends = Array.from({ length: repeats + 1 }, () =>
      this.webhook('voice', v.url, method, this.callParams(status)),
    );
    const results = await Promise.all(sends);
    this.currentDocUrl = v.url;
    return this.toDocument(results[0]!, 'voice');
  }

  private async takePending(): Promise<Next> {
    const p = this.pending!;
    this.pending = undefined;
    if (p.kind === 'twiml') return { kind: 'document', xml: p.xml, source: 'redirect' };
    this.currentDocUrl = p.url;
    return this.toDocument(await this.webhook('redirect', p.url, p.method, this.callParams('in-progress')), 'redirect');
  }

  /** A webhook answer as the next document, or the end of the call when it failed (Twilio error 11200). */
  private toDocument(r: WebhookRecord, source: WebhookPurpose): Next {
    if (r.error || r.status === undefined || r.status < 200 || r.status >= 300) {
      this.error(11200, `HTTP retrieval failure: ${r.method} ${r.url} → ${r.error ?? r.status}`);
      return STOP;
    }
    return { kind: 'document', xml: r.body ?? '', source };
  }

  private async runDocument(xml: string, source: WebhookPurpose | 'rest'): Promise<Next> {
    this.twimlDocs.push({ source, xml });
    const parsed = parseTwiml(xml);
    if (!parsed.ok) {
      this.error(12100, `Document parse failure: ${parsed.error}`);
      return STOP;
    }
    for (const verb of parsed.verbs) {
      if (this.callerGone || this.pending) return STOP;
      const detail = describeVerb(verb);
      this.verbs.push({ verb: verb.verb === 'Unsupported' ? verb.name : verb.verb, detail, t: this.now() });
      this.note({ kind: 'twiml', verb: verb.verb === 'Unsupported' ? verb.name : verb.verb, detail });
      const next = await this.exec(verb);
      if (next.kind !== 'continue') return next;
    }
    return STOP;
  }

  private async exec(v: TwimlVerb): Promise<Next> {
    switch (v.verb) {
      case 'Say':
        this.answer();
        this.says.push(v.text);
        await this.hold((this.init.script?.sayMs ?? (() => 0))(v.text));
        return CONTINUE;
      case 'Play':
        this.answer();
        return CONTINUE;
      case 'Pause':
        this.answer();
        await this.hold(v.lengthSec * 1000);
        return CONTINUE;
      case 'Hangup':
        return STOP;
      case 'Reject':
        // Rejecting before answer leaves the call unanswered: it ends busy.
        if (!this.answeredAt) this.rejected = true;
        return STOP;
      case 'Redirect':
        this.currentDocUrl = this.absolute(v.url);
        return this.toDocument(
          await this.webhook('redirect', this.absolute(v.url), v.method, this.callParams('in-progress')),
          'redirect',
        );
      case 'Start':
        for (const s of v.streams) void this.openStream(s, 'fork');
        return CONTINUE;
      case 'Stop':
        await Promise.all(
          this.streams
            .filter(
              (s) =>
                s.record.mode === 'fork' &&
                (v.streamNames.includes(undefined) || v.streamNames.includes(this.streamNames.get(s))),
            )
            .map((s) => s.stop('<Stop><Stream>')),
        );
        return CONTINUE;
      case 'Connect':
        return this.connect(v);
      case 'Dial':
        return this.dial(v);
      case 'Unsupported':
        this.error(12200, `<${v.name}> is not emulated; skipped`);
        return CONTINUE;
    }
  }

  /** Waits `ms` unless the call is interrupted; a script that has ended makes further waiting pointless. */
  private async hold(ms: number): Promise<void> {
    if (ms <= 0 || this.scriptEnded) return;
    await this.waitFor(sleep(ms, this.abort.signal));
  }

  // ---- streams ---------------------------------------------------------------------------------------------------

  private async openStream(s: TwimlStream, mode: StreamMode): Promise<MediaStreamClient | undefined> {
    const url = this.absolute(s.url);
    const client = new MediaStreamClient({
      url: this.env.urlMap.toReal(url),
      signedUrl: url,
      signer: this.env.signer,
      signatureMode: this.init.script?.streamSignature ?? 'valid',
      accountSid: this.env.accountSid,
      callSid: this.callSid,
      mode,
      track: s.track,
      customParameters: s.parameters,
      audio: { inbound: this.script.inbound, outbound: this.script.outbound },
      dtmf: this.init.script?.dtmf,
      stampFrames: this.init.script?.stampFrames,
      faults: this.init.script?.streamFaults,
      timelineMarks: this.init.script?.timelineMarks,
      onEvent: (e) => this.onStreamEvent(client, s, e),
    });
    this.streams.push(client);
    this.streamNames.set(client, s.name);
    if (/^wss?:\/\/[^?#]*\?/i.test(url)) {
      // Twilio refuses a query string on a stream URL (error 31920): the handshake never happens.
      this.error(31920, `Stream URL has a query string: ${url}`);
      client.refuse('Stream URL must not contain a query string');
      return undefined;
    }
    const ok = await client.open();
    if (!ok) {
      const h = client.record.handshakeError;
      this.error(31920, `Stream WebSocket handshake failed: ${h?.status ? `HTTP ${h.status}` : h?.message}`);
      return undefined;
    }
    return client;
  }

  private onStreamEvent(client: MediaStreamClient, s: TwimlStream, e: TimelineEventBody): void {
    this.note(e);
    if (e.kind !== 'stream') return;
    if (e.phase === 'started') this.streamCallback(s, client, 'stream-started');
    else if (e.phase === 'closed') this.streamCallback(s, client, 'stream-stopped');
    else if (e.phase === 'error') this.streamCallback(s, client, 'stream-error', e.detail);
  }

  private streamCallback(s: TwimlStream, client: MediaStreamClient, event: string, error?: string): void {
    if (!s.statusCallback) return;
    const params: Record<string, string> = {
      AccountSid: this.env.accountSid,
      CallSid: this.callSid,
      StreamSid: client.streamSid,
      StreamName: s.name ?? client.streamSid,
      StreamEvent: event,
      Timestamp: new Date().toISOString(),
    };
    if (error) params.StreamError = error;
    void this.webhook('stream-status', this.absolute(s.statusCallback), s.statusCallbackMethod, params);
  }

  private async connect(v: Extract<TwimlVerb, { verb: 'Connect' }>): Promise<Next> {
    this.answer();
    if (!v.stream) return CONTINUE;
    const client = await this.openStream(v.stream, 'bidirectional');
    if (client) {
      // Holds the call until the server closes the socket, the caller hangs up, or a REST update redirects.
      await this.waitFor(client.closed, true);
      if (!client.record.closed)
        await client.stop(this.callerGone ? 'call ended' : this.pending ? 'call updated' : 'script ended');
      if (this.pending) return STOP;
      if (this.callerGone || this.scriptEnded) {
        this.requestEnd('caller');
        return STOP;
      }
    }
    if (!v.action) return CONTINUE;
    const r = await this.webhook('connect-action', this.absolute(v.action), v.method, this.callParams('in-progress'));
    return this.toDocument(r, 'connect-action');
  }

  // ---- dial ------------------------------------------------------------------------------------------------------

  private async dial(v: Extract<TwimlVerb, { verb: 'Dial' }>): Promise<Next> {
    if (!v.answerOnBridge) this.answer();
    const target = v.targets[0];
    const dialCallSid = twilioSid('CA');
    const record: DialRecord = {
      target: !target
        ? ''
        : target.kind === 'sip'
          ? target.uri
          : target.kind === 'number'
            ? target.number
            : target.value,
      kind: target?.kind ?? 'other',
      status: 'failed',
      dialCallSid,
      durationSec: 0,
    };
    this.dials.push(record);
    let connectedAt: number | undefined;

    if (target?.kind === 'sip') {
      this.note({ kind: 'sip', phase: 'dialing', uri: target.uri });
      const endpoint = this.env.sip?.handles(target.uri) ? this.env.sip : undefined;
      const result = endpoint
        ? await endpoint.dial({
            uri: target.uri,
            accountSid: this.env.accountSid,
            callSid: this.callSid,
            dialCallSid,
            from: v.callerId ?? this.from,
            to: this.to,
            transcript: this.script.transcript,
            analysis: this.init.script?.analysis,
          })
        : ({ ok: false, status: 'failed', sipCode: 404, reason: 'no SIP endpoint for that domain' } as const);
      if (!result.ok) {
        record.status = result.status;
        record.sipCode = result.sipCode;
        this.note({ kind: 'sip', phase: 'failed', uri: target.uri, sipCode: result.sipCode, detail: result.reason });
      } else {
        const leg = result.leg;
        this.legs.push(leg);
        record.remoteId = leg.remoteId;
        record.sipCode = 200;
        connectedAt = performance.now();
        this.note({ kind: 'sip', phase: 'connected', uri: target.uri, sipCode: 200, detail: leg.remoteId });
        this.answer();
        const how = await this.waitFor(leg.ended, true);
        if (how === 'done') record.endedBy = 'remote';
        else if (this.pending) record.endedBy = 'redirect';
        else if (this.callerGone) record.endedBy = this.callerGone === 'api' ? 'api' : 'caller';
        else record.endedBy = this.script.hangupBy === 'agent' ? 'agent-script' : 'caller';
        if (record.endedBy !== 'remote') leg.hangup(record.endedBy === 'agent-script' ? 'agent_hangup' : 'user_hangup');
        const end = await leg.ended;
        record.status = 'completed';
        this.note({ kind: 'sip', phase: 'ended', uri: target.uri, detail: `${end.by}: ${end.reason}` });
        if (record.endedBy === 'caller' || record.endedBy === 'api') this.requestEnd(this.callerGone ?? 'caller');
      }
    } else if (target?.kind === 'number') {
      this.transfers.push(target.number);
      const outcome = this.init.script?.transferOutcome ?? 'completed';
      record.status = outcome;
      if (outcome === 'completed') {
        connectedAt = performance.now();
        this.answer();
        if (!this.scriptEnded) await this.waitFor(new Promise<never>(() => undefined), true);
        record.endedBy = this.pending ? 'redirect' : this.callerGone ? 'caller' : 'agent-script';
        if (record.endedBy === 'caller') this.requestEnd(this.callerGone ?? 'caller');
      }
    }
    if (connectedAt !== undefined) record.durationSec = Math.round((performance.now() - connectedAt) / 1000);

    // A REST redirect replaces the TwiML at once; Twilio requests no action for the interrupted <Dial>.
    if (this.pending && record.endedBy === 'redirect') return STOP;
    if (!v.action) return this.callerGone ? STOP : CONTINUE;
    const params: Record<string, string> = {
      ...this.callParams(this.callerGone ? 'completed' : 'in-progress'),
      DialCallStatus: record.status,
      DialCallSid: dialCallSid,
      DialCallDuration: String(record.durationSec),
    };
    if (record.kind === 'sip' && record.sipCode !== undefined) params.DialSipResponseCode = String(record.sipCode);
    params.DialBridged = String(connectedAt !== undefined);
    const r = await this.webhook('dial-action', this.absolute(v.action), v.method, params);
    // The caller is gone: Twilio still tells the app how the leg ended, but runs nothing it answers.
    if (this.callerGone) return STOP;
    this.currentDocUrl = this.absolute(v.action);
    return this.toDocument(r, 'dial-action');
  }

  // ---- lifecycle -------------------------------------------------------------------------------------------------

  private answer(): void {
    if (this.answeredAt || this.finished) return;
    this.answeredAt = Date.now();
    this.setStatus('in-progress');
    this.note({ kind: 'call', phase: 'answered' });
    this.sendStatusCallback('answered');
    this.later(this.script.durationMs, () => this.endScript());
  }

  /** The script's time is up: the agent (in a Dial) or the caller hangs up. */
  private endScript(): void {
    if (this.scriptEnded || this.finished) return;
    this.scriptEnded = true;
    // In a <Dial> the agent (the far end) can hang up and the TwiML goes on; anywhere else only the caller can.
    if (!(this.script.hangupBy === 'agent' && this.dialActive)) this.callerGone ??= 'caller';
    this.wake();
  }

  private get dialActive(): boolean {
    const last = this.dials[this.dials.length - 1];
    return (
      !!last &&
      last.endedBy === undefined &&
      (last.remoteId !== undefined || (last.kind === 'number' && last.status === 'completed'))
    );
  }

  private requestEnd(reason: CallEndReason): void {
    if (this.finished) return;
    this.callerGone ??= reason;
    this.wake();
  }

  private async finish(status: TwilioCallStatus, reason: CallEndReason): Promise<CallOutcome> {
    if (this.finished) return this.outcome;
    this.finished = true;
    this.callerGone ??= reason;
    if (this.rejected && !this.answeredAt) status = 'busy';
    this.timers.clear();
    for (const leg of this.legs) leg.hangup('user_hangup');
    await Promise.all(this.streams.map((s) => s.stop('call ended')));
    this.endedAt = Date.now();
    this.setStatus(status);
    this.sendStatusCallback('completed');
    for (const send of this.heldStatus.reverse().splice(0)) void this.track(send());
    await this.settle();
    // Retell's call_ended / call_analyzed belong to the outcome; a far end that never settles must not hang it.
    await withTimeout(Promise.all(this.legs.map((l) => l.settled)), 5000);
    this.abort.abort();
    this.note({ kind: 'call', phase: 'ended', status, detail: reason });
    const outcome = this.snapshot(reason);
    this.resolveOutcome(outcome);
    this.emit('ended', outcome);
    return outcome;
  }

  /** Waits for every webhook in flight. */
  private async settle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  private snapshot(endReason: CallEndReason): CallOutcome {
    return {
      callSid: this.callSid,
      direction: this.direction,
      from: this.from,
      to: this.to,
      status: this.status,
      endReason,
      answered: this.answeredAt !== undefined,
      durationSec: this.durationSec(),
      twiml: [...this.twimlDocs],
      verbs: [...this.verbs],
      says: [...this.says],
      transfers: [...this.transfers],
      dials: [...this.dials],
      streams: this.streams.map((s) => s.record),
      statusCallbacks: [...this.statusCallbacks],
      webhooks: [...this.webhooks],
      errors: [...this.errors],
      timeline: [...this.timeline],
    };
  }

  private durationSec(): number {
    if (!this.answeredAt) return 0;
    return Math.round(((this.endedAt ?? Date.now()) - this.answeredAt) / 1000);
  }

  // ---- status callbacks and webhooks -------------------------------------------------------------------------------

  private setStatus(status: TwilioCallStatus): void {
    this.status = status;
  }

  private sendStatusCallback(event: CallProgressEvent): void {
    const cfg = this.init.statusCallback;
    if (!cfg) return;
    const events = cfg.events ?? ['completed'];
    if (!events.includes(event)) return;
    const status: TwilioCallStatus = event === 'answered' ? 'in-progress' : event === 'completed' ? this.status : event;
    const params: Record<string, string> = {
      ...this.callParams(status),
      SequenceNumber: String(this.sequence++),
      Timestamp: new Date().toUTCString().replace('GMT', '+0000'),
      CallbackSource: 'call-progress-events',
    };
    if (TERMINAL_CALL_STATUSES.has(status)) {
      params.CallDuration = String(this.durationSec());
      params.Duration = String(Math.ceil(this.durationSec() / 60));
      params.SipResponseCode = String(SIP_CODES[status] ?? 200);
    }
    const send = () => this.webhook('status', cfg.url, cfg.method ?? 'POST', params);
    if (this.env.statusCallbackDelivery === 'reversed') this.heldStatus.push(send);
    else void this.track(send());
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }

  /** The parameters of every request Twilio makes about this call. */
  callParams(status: TwilioCallStatus): Record<string, string> {
    const p: Record<string, string> = {
      AccountSid: this.env.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: this.callSid,
      CallStatus: status,
      Called: this.to,
      CalledCountry: 'US',
      Caller: this.from,
      CallerCountry: 'US',
      Direction: this.direction,
      From: this.from,
      FromCountry: 'US',
      To: this.to,
      ToCountry: 'US',
    };
    if (this.init.machineDetection) p.AnsweredBy = this.init.answeredBy ?? 'human';
    return { ...p, ...this.init.script?.params };
  }

  /** Sends one signed request for this call; never throws. */
  private webhook(
    purpose: WebhookPurpose,
    url: string,
    method: 'GET' | 'POST',
    params: Record<string, string>,
  ): Promise<WebhookRecord> {
    const signature = this.init.script?.webhookSignature ?? 'valid';
    const rec: WebhookRecord = { purpose, method, url, params, signature, t: this.now() };
    this.webhooks.push(rec);
    if (purpose === 'status') this.statusCallbacks.push(rec);
    const detail =
      purpose === 'status'
        ? `${params.CallStatus} #${params.SequenceNumber}`
        : purpose === 'stream-status'
          ? params.StreamEvent
          : purpose === 'dial-action'
            ? params.DialCallStatus
            : undefined;
    this.note({ kind: 'webhook', phase: 'sent', purpose, method, url, detail });
    return this.track(
      sendTwilioRequest(this.env, { method, url, params, signature }).then((r) => {
        if ('error' in r) {
          rec.error = r.error;
          this.note({ kind: 'webhook', phase: 'failed', purpose, method, url, error: r.error, detail });
        } else {
          rec.status = r.status;
          rec.body = r.body;
          rec.ms = r.ms;
          this.note({ kind: 'webhook', phase: 'answered', purpose, method, url, status: r.status, ms: r.ms, detail });
        }
        return rec;
      }),
    );
  }

  // ---- helpers ------------------------------------------------------------------------------------------------------

  /** Resolves a TwiML URL against the document it came from (Twilio accepts relative URLs). */
  private absolute(url: string): string {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
    const base = this.currentDocUrl ?? ('url' in this.init.voice ? this.init.voice.url : undefined);
    return base ? new URL(url, base).href : url;
  }

  /**
   * Waits for `p` or an interruption: a REST update, the caller gone, or (when `scriptEndInterrupts`) the script's
   * end. Resolves `done` or `interrupted`.
   */
  private waitFor(p: Promise<unknown>, scriptEndInterrupts = false): Promise<'done' | 'interrupted'> {
    const interrupted = () => !!this.pending || !!this.callerGone || (scriptEndInterrupts && this.scriptEnded);
    if (interrupted()) return Promise.resolve('interrupted');
    return new Promise((resolve) => {
      const waker = () => {
        if (!interrupted()) return;
        this.wakers.delete(waker);
        resolve('interrupted');
      };
      this.wakers.add(waker);
      p.then(
        () => {
          this.wakers.delete(waker);
          resolve('done');
        },
        () => {
          this.wakers.delete(waker);
          resolve('done');
        },
      );
    });
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  private later(ms: number, fn: () => void): void {
    this.timers.later(ms, fn);
  }

  private error(code: number, message: string): void {
    this.errors.push({ code, message });
    this.note({ kind: 'error', code: code || undefined, message });
  }

  private note(body: TimelineEventBody): void {
    const e = { ...body, source: 'twilio', at: Date.now(), t: this.now(), callSid: this.callSid } as TimelineEvent;
    this.timeline.push(e);
    this.emit('timeline', e);
    this.env.onTimeline(e);
  }
}

/** Resolves when `p` settles or after `ms`, whichever is first, leaving no timer behind. */
async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
