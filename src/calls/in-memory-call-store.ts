import { TERMINAL_CALL_STATUSES, TWILIO_CALL_STATUSES } from '../protocol/twilio-webhooks.js';
import type { CallPage, CallRecord, CallState, EscalationRecord, TwilioStatusEntry } from './call-record.js';
import {
  assembleCallRecord,
  omitUndefined,
  toSummary,
  type CallRow,
  type MediaRow,
  type RetellEventRow,
  type StreamEventRow,
} from './call-rows.js';
import { FINAL_STATES, canTransition, terminalStateFor } from './call-state.js';
import type {
  CallListQuery,
  CallStore,
  CallSummary,
  EscalationClaim,
  EscalationPatch,
  EscalationRequest,
  IdempotencyBegin,
  IdempotencyEntry,
  MediaPatch,
  MediaStreamInput,
  NewCall,
  RegistrationClaim,
  RetellEventInput,
  RetellEventOutcome,
  StatusCallback,
  StatusOutcome,
} from './call-store.interface.js';
import { decodeCursor, encodeCursor } from './list-cursor.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Entry {
  readonly id: number;
  call: Mutable<CallRow>;
  readonly statuses: TwilioStatusEntry[];
  readonly streamEvents: StreamEventRow[];
  readonly retellEvents: RetellEventRow[];
  transcript?: string;
  media?: Mutable<MediaRow>;
  readonly escalations: Mutable<EscalationRecord>[];
}

/**
 * The {@link CallStore} without a database (`DATABASE_URL=memory:`): calls live in this process, the oldest evicted
 * past `maxRecords`, and are lost on restart. For tests and for embedding apps that keep no records.
 *
 * Every operation runs to completion without awaiting, so each is atomic in one process; values go in and out as
 * copies, as they would through a database.
 */
export class InMemoryCallStore implements CallStore {
  private readonly bySid = new Map<string, Entry>();
  private readonly sidByRetellId = new Map<string, string>();
  private readonly idempotency = new Map<string, IdempotencyEntry>();
  private seq = 0;
  private escalationSeq = 0;

  constructor(
    private readonly maxRecords = 10_000,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async open(input: NewCall): Promise<{ created: boolean; call: CallSummary }> {
    const existing = this.bySid.get(input.callSid);
    if (existing) {
      const c = existing.call;
      if (
        (c.agentId === undefined && input.agentId !== undefined) ||
        (c.metadata === undefined && input.metadata !== undefined) ||
        (c.dynamicVariables === undefined && input.dynamicVariables !== undefined)
      ) {
        c.agentId ??= input.agentId;
        c.metadata ??= copy(input.metadata);
        c.dynamicVariables ??= copy(input.dynamicVariables);
        c.updatedAt = this.now();
      }
      return { created: false, call: copy(toSummary(c)) };
    }
    const entry = this.insert(input);
    return { created: true, call: copy(toSummary(entry.call)) };
  }

  async recordVoiceWebhook(input: NewCall): Promise<CallSummary> {
    const entry = this.bySid.get(input.callSid) ?? this.insert(input);
    entry.call.voiceWebhookCount += 1;
    entry.call.updatedAt = this.now();
    return copy(toSummary(entry.call));
  }

  async summary(callSid: string): Promise<CallSummary | undefined> {
    const entry = this.bySid.get(callSid);
    return entry && copy(toSummary(entry.call));
  }

  async get(callSid: string): Promise<CallRecord | undefined> {
    const entry = this.bySid.get(callSid);
    return entry && this.assemble(entry);
  }

  async findByRetellCallId(retellCallId: string): Promise<CallSummary | undefined> {
    const sid = this.sidByRetellId.get(retellCallId);
    return sid === undefined ? undefined : this.summary(sid);
  }

  async claimRegistration(callSid: string, leaseMs: number): Promise<RegistrationClaim> {
    const entry = this.bySid.get(callSid);
    if (!entry) return { outcome: 'not_found' };
    const c = entry.call;
    if (c.retellCallId) return { outcome: 'registered', retellCallId: c.retellCallId };
    if (c.state === 'fallback' || FINAL_STATES.has(c.state)) {
      return omitUndefined({ outcome: 'closed', state: c.state, reason: c.stateReason });
    }
    const now = this.clock();
    if (c.registrationLeaseUntil && c.registrationLeaseUntil > now.toISOString()) {
      return { outcome: 'held', until: c.registrationLeaseUntil };
    }
    c.registrationStartedAt = now.toISOString();
    c.registrationLeaseUntil = new Date(now.getTime() + leaseMs).toISOString();
    c.updatedAt = now.toISOString();
    return { outcome: 'claimed', call: copy(toSummary(c)) };
  }

  async completeRegistration(
    callSid: string,
    registered: { readonly retellCallId: string; readonly agentId?: string },
  ): Promise<boolean> {
    const entry = this.bySid.get(callSid);
    if (!entry) return false;
    const c = entry.call;
    c.retellCallId ??= registered.retellCallId;
    c.agentId = registered.agentId ?? c.agentId;
    c.registrationLeaseUntil = undefined;
    this.index(c);
    this.move(c, 'registered');
    c.updatedAt = this.now();
    return true;
  }

  async transition(callSid: string, to: CallState, reason?: string): Promise<boolean> {
    const entry = this.bySid.get(callSid);
    if (!entry) return false;
    const moved = this.move(entry.call, to, reason);
    if (moved) entry.call.updatedAt = this.now();
    return moved;
  }

  async applyStatus(callSid: string, callback: StatusCallback): Promise<StatusOutcome> {
    const entry = this.bySid.get(callSid);
    if (!entry) return 'not_found';
    const seq = callback.sequenceNumber;
    if (seq !== undefined && entry.statuses.some((s) => s.sequenceNumber === seq)) return 'duplicate';
    const c = entry.call;
    const newer =
      seq === undefined || c.twilioSequenceNumber === undefined
        ? statusRank(callback.status) > statusRank(c.twilioStatus)
        : seq > c.twilioSequenceNumber;
    const applied = newer && !(c.twilioStatus && TERMINAL_CALL_STATUSES.has(c.twilioStatus));
    entry.statuses.push(
      omitUndefined({
        status: callback.status,
        sequenceNumber: seq,
        receivedAt: this.now(),
        applied,
        callDuration: callback.callDuration,
        sipResponseCode: callback.sipResponseCode,
      }),
    );
    if (!applied) return 'stale';
    c.updatedAt = this.now();
    c.twilioStatus = callback.status;
    if (seq !== undefined) c.twilioSequenceNumber = seq;
    if (TERMINAL_CALL_STATUSES.has(callback.status)) {
      const completed = callback.status === 'completed';
      this.move(c, terminalStateFor(c.state, completed), completed ? undefined : callback.status);
    }
    return 'applied';
  }

  async recordStreamEvent(
    callSid: string,
    event: { readonly event: string; readonly streamSid?: string; readonly error?: string },
  ): Promise<boolean> {
    const entry = this.bySid.get(callSid);
    if (!entry) return false;
    entry.streamEvents.push(omitUndefined({ ...event, receivedAt: this.now() }));
    return true;
  }

  async recordRetellEvent(callSid: string, input: RetellEventInput): Promise<RetellEventOutcome> {
    const entry = this.bySid.get(callSid);
    if (!entry) return 'not_found';
    if (entry.retellEvents.some((e) => e.event === input.event && e.occurrence === input.occurrence)) {
      return 'duplicate';
    }
    entry.retellEvents.push({
      event: input.event,
      occurrence: input.occurrence,
      retellCallId: input.retellCallId,
      receivedAt: this.now(),
    });
    const c = entry.call;
    const f = input.facts;
    c.retellCallId ??= input.retellCallId;
    this.index(c);
    if (f.callStatus !== undefined) c.retellCallStatus = f.callStatus;
    if (f.recordingUrl !== undefined) c.recordingUrl = f.recordingUrl;
    if (f.disconnectionReason !== undefined) c.disconnectionReason = f.disconnectionReason;
    if (f.analysis !== undefined) c.analysis = copy(f.analysis);
    if (f.startTimestamp !== undefined) c.startTimestamp = f.startTimestamp;
    if (f.endTimestamp !== undefined) c.endTimestamp = f.endTimestamp;
    if (f.durationMs !== undefined) c.durationMs = f.durationMs;
    const text = input.transcript?.text;
    if (text !== undefined && text.length >= (entry.transcript?.length ?? 0)) entry.transcript = text;
    if (input.connects) this.move(c, 'connected');
    c.updatedAt = this.now();
    return 'stored';
  }

  async attachMedia(callSid: string, stream: MediaStreamInput): Promise<boolean> {
    const entry = this.bySid.get(callSid);
    if (!entry) return false;
    if (entry.media && entry.media.endedAt === undefined) return entry.media.streamSid === stream.streamSid;
    entry.media = omitUndefined({
      streamSid: stream.streamSid,
      mode: stream.mode,
      tracks: [...stream.tracks],
      startedAt: this.now(),
      frames: { ...stream.frames },
      dropped: { ...stream.dropped },
      relay: copy(stream.relay),
    });
    return true;
  }

  async patchAnalytics(callSid: string, streamSid: string, patch: MediaPatch): Promise<boolean> {
    const media = this.attached(callSid, streamSid);
    if (!media) return false;
    this.patch(media, patch);
    return true;
  }

  async detachMedia(callSid: string, streamSid: string, patch: MediaPatch): Promise<boolean> {
    const media = this.attached(callSid, streamSid);
    if (!media || media.endedAt !== undefined) return false;
    this.patch(media, patch);
    media.endedAt = this.now();
    return true;
  }

  async claimEscalation(callSid: string, request: EscalationRequest): Promise<EscalationClaim> {
    const entry = this.bySid.get(callSid);
    if (!entry) return { outcome: 'not_found' };
    const open = entry.escalations.find((e) => e.endedAt === undefined);
    if (open) return { outcome: 'open', escalation: copy(open) };
    const escalation = omitUndefined({
      id: String(++this.escalationSeq),
      trigger: request.trigger,
      reason: request.reason,
      target: request.target,
      requestedAt: this.now(),
    });
    entry.escalations.push(escalation);
    return { outcome: 'claimed', escalation: copy(escalation) };
  }

  async updateEscalation(callSid: string, id: string, patch: EscalationPatch): Promise<EscalationRecord | undefined> {
    const escalation = this.bySid.get(callSid)?.escalations.find((e) => e.id === id);
    if (!escalation) return undefined;
    escalation.target ??= patch.target;
    escalation.transferredAt ??= patch.transferredAt;
    escalation.answeredAt ??= patch.answeredAt;
    escalation.endedAt ??= patch.endedAt;
    escalation.outcome ??= patch.outcome;
    return copy(omitUndefined(escalation));
  }

  async beginIdempotent(scope: string, key: string, requestHash: string): Promise<IdempotencyBegin> {
    const id = `${scope}\u0000${key}`;
    const existing = this.idempotency.get(id);
    if (existing) return { outcome: 'exists', entry: copy(existing) };
    this.idempotency.set(id, { scope, key, requestHash, createdAt: this.now() });
    return { outcome: 'started' };
  }

  async completeIdempotent(
    scope: string,
    key: string,
    response: { readonly status: number; readonly body: unknown },
  ): Promise<boolean> {
    const id = `${scope}\u0000${key}`;
    const existing = this.idempotency.get(id);
    if (!existing || existing.completedAt !== undefined) return false;
    this.idempotency.set(id, { ...existing, completedAt: this.now(), response: copy(response) });
    return true;
  }

  async abandonIdempotent(scope: string, key: string): Promise<boolean> {
    const id = `${scope}\u0000${key}`;
    const existing = this.idempotency.get(id);
    if (!existing || existing.completedAt !== undefined) return false;
    return this.idempotency.delete(id);
  }

  async lookupIdempotent(scope: string, key: string): Promise<IdempotencyEntry | undefined> {
    const entry = this.idempotency.get(`${scope}\u0000${key}`);
    return entry && copy(entry);
  }

  async list(query: CallListQuery): Promise<CallPage> {
    const before = decodeCursor(query.cursor) ?? Infinity;
    const matches: Entry[] = [];
    // Insertion order is id order: walk newest first and stop one past the page.
    const entries = [...this.bySid.values()];
    for (let i = entries.length - 1; i >= 0 && matches.length <= query.limit; i--) {
      const e = entries[i]!;
      const c = e.call;
      if (e.id >= before) continue;
      if (query.from !== undefined && c.from !== query.from) continue;
      if (query.to !== undefined && c.to !== query.to) continue;
      if (query.state !== undefined && c.state !== query.state) continue;
      if (query.since !== undefined && c.createdAt < query.since) continue;
      if (query.until !== undefined && c.createdAt >= query.until) continue;
      matches.push(e);
    }
    const page = matches.slice(0, query.limit);
    return omitUndefined({
      items: page.map((e) => this.assemble(e)),
      nextCursor: matches.length > page.length ? encodeCursor(page[page.length - 1]!.id) : undefined,
    });
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}

  private insert(input: NewCall): Entry {
    const at = this.now();
    const entry: Entry = {
      id: ++this.seq,
      call: omitUndefined({
        callSid: input.callSid,
        direction: input.direction,
        from: input.from,
        to: input.to,
        state: 'ringing' as CallState,
        stateTimes: { ringing: at },
        createdAt: at,
        updatedAt: at,
        agentId: input.agentId,
        metadata: copy(input.metadata),
        dynamicVariables: copy(input.dynamicVariables),
        voiceWebhookCount: 0,
      }),
      statuses: [],
      streamEvents: [],
      retellEvents: [],
      escalations: [],
    };
    this.bySid.set(input.callSid, entry);
    this.evict();
    return entry;
  }

  private move(c: Mutable<CallRow>, to: CallState, reason?: string): boolean {
    if (!canTransition(c.state, to)) return false;
    c.state = to;
    c.stateTimes = { ...c.stateTimes, [to]: this.now() };
    if (reason !== undefined) c.stateReason = reason;
    return true;
  }

  private attached(callSid: string, streamSid: string): Mutable<MediaRow> | undefined {
    const media = this.bySid.get(callSid)?.media;
    return media?.streamSid === streamSid ? media : undefined;
  }

  private patch(media: Mutable<MediaRow>, patch: MediaPatch): void {
    if (patch.frames) media.frames = { ...patch.frames };
    if (patch.dropped) media.dropped = { ...patch.dropped };
    if (patch.analytics) media.analytics = copy(patch.analytics);
    if (patch.relay) media.relay = copy(patch.relay);
  }

  private assemble(e: Entry): CallRecord {
    return copy(
      assembleCallRecord({
        call: e.call,
        statuses: e.statuses,
        streamEvents: e.streamEvents,
        retellEvents: e.retellEvents,
        transcript: e.transcript,
        media: e.media,
        escalations: e.escalations,
      }),
    );
  }

  private index(c: CallRow): void {
    if (c.retellCallId) this.sidByRetellId.set(c.retellCallId, c.callSid);
  }

  private evict(): void {
    while (this.bySid.size > this.maxRecords) {
      const oldest = this.bySid.keys().next().value as string;
      const retellId = this.bySid.get(oldest)?.call.retellCallId;
      if (retellId) this.sidByRetellId.delete(retellId);
      this.bySid.delete(oldest);
    }
  }

  private now(): string {
    return this.clock().toISOString();
  }
}

const statusRank = (s: string | undefined) =>
  s === undefined ? -1 : (TWILIO_CALL_STATUSES as readonly string[]).indexOf(s);

const copy = <T>(value: T): T => (value === undefined ? value : structuredClone(value));
