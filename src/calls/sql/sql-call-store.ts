import { sql, type Kysely, type Selectable, type SqlBool } from 'kysely';
import { TERMINAL_CALL_STATUSES, TWILIO_CALL_STATUSES, type TwilioCallStatus } from '../../protocol/twilio-webhooks.js';
import type {
  CallDirection,
  CallMediaInfo,
  CallPage,
  CallRecord,
  CallState,
  EscalationRecord,
  TwilioStatusEntry,
} from '../call-record.js';
import {
  assembleCallRecord,
  omitUndefined,
  toSummary,
  type CallParts,
  type CallRow,
  type MediaRow,
  type RetellEventRow,
  type StreamEventRow,
} from '../call-rows.js';
import { CALL_STATES, FINAL_STATES, statesBefore, terminalStateFor } from '../call-state.js';
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
} from '../call-store.interface.js';
import { decodeCursor, encodeCursor } from '../list-cursor.js';
import type { CallDatabase, CallsTable, EscalationsTable, IdempotencyKeysTable } from './call-database.js';
import type { SqlDialectName } from './sql-dialect.js';
import { toStoreError } from './sql-errors.js';

type CallsRow = Selectable<CallsTable>;
type Db = Kysely<CallDatabase>;

/** The column that stamps when a call entered each state. */
const STATE_TIME_COLUMN = {
  ringing: 'ringing_at',
  registered: 'registered_at',
  connected: 'connected_at',
  fallback: 'fallback_at',
  ended: 'ended_at',
  failed: 'failed_at',
} as const satisfies Record<CallState, keyof CallsTable>;

/** Twilio's status order, as SQL: a callback without a sequence number is newer when its status ranks higher. */
const STATUS_RANK = sql<number>`case ${sql.ref('twilio_status')} ${sql.join(
  TWILIO_CALL_STATUSES.map((s, i) => sql`when ${sql.lit(s)} then ${sql.lit(i)}`),
  sql` `,
)} else -1 end`;

/**
 * The {@link CallStore} on SQLite or PostgreSQL, through Kysely. Each operation is one statement, or one short
 * transaction whose first write locks the call's row (PostgreSQL) or the file (SQLite, `BEGIN IMMEDIATE`), so
 * concurrent webhooks on several instances are decided by the database: unique keys tell first from repeat,
 * conditional updates (`… WHERE state IN (…)`, `… WHERE lease_until <= now`) apply a change only when it is still
 * allowed. No lock is held across a network call.
 */
export class SqlCallStore implements CallStore {
  constructor(
    private readonly db: Db,
    private readonly dialect: SqlDialectName,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  open(input: NewCall): Promise<{ created: boolean; call: CallSummary }> {
    return this.run(async () => {
      const inserted = await this.db
        .insertInto('calls')
        .values(this.newCall(input, 0))
        .onConflict((oc) => oc.column('call_sid').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { created: true, call: toSummary(this.toCallRow(inserted)) };
      // A repeat: fill what the first opener did not know (an outbound call's agent after its first status callback).
      const fills = (
        [
          ['agent_id', input.agentId],
          ['metadata', input.metadata],
          ['dynamic_variables', input.dynamicVariables],
        ] as const
      )
        .filter(([, value]) => value !== undefined)
        .map(([column]) => column);
      const filled = fills.length
        ? await this.db
            .updateTable('calls')
            .set({
              agent_id: sql`coalesce(agent_id, ${input.agentId ?? null})`,
              metadata: sql`coalesce(metadata, ${this.json(input.metadata)})`,
              dynamic_variables: sql`coalesce(dynamic_variables, ${this.json(input.dynamicVariables)})`,
              updated_at: this.now(),
            })
            .where('call_sid', '=', input.callSid)
            .where((eb) => eb.or(fills.map((c) => eb(c, 'is', null))))
            .returningAll()
            .executeTakeFirst()
        : undefined;
      const row = filled ?? (await this.callRow(input.callSid));
      if (!row) throw new Error(`call ${input.callSid} vanished from the store`);
      return { created: false, call: toSummary(this.toCallRow(row)) };
    });
  }

  recordVoiceWebhook(input: NewCall): Promise<CallSummary> {
    return this.run(async () => {
      const row = await this.db
        .insertInto('calls')
        .values(this.newCall(input, 1))
        .onConflict((oc) =>
          oc.column('call_sid').doUpdateSet((eb) => ({
            voice_webhook_count: eb(eb.ref('calls.voice_webhook_count'), '+', 1),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return toSummary(this.toCallRow(row));
    });
  }

  summary(callSid: string): Promise<CallSummary | undefined> {
    return this.run(async () => {
      const row = await this.callRow(callSid);
      return row && toSummary(this.toCallRow(row));
    });
  }

  get(callSid: string): Promise<CallRecord | undefined> {
    return this.run(async () => {
      const row = await this.callRow(callSid);
      if (!row) return undefined;
      const [record] = await this.assemble([row]);
      return record;
    });
  }

  findByRetellCallId(retellCallId: string): Promise<CallSummary | undefined> {
    return this.run(async () => {
      const row = await this.db
        .selectFrom('calls')
        .selectAll()
        .where('retell_call_id', '=', retellCallId)
        .executeTakeFirst();
      return row && toSummary(this.toCallRow(row));
    });
  }

  claimRegistration(callSid: string, leaseMs: number): Promise<RegistrationClaim> {
    return this.run(async () => {
      // Twice at most: a lease can run out between the conditional update and the read that says why it failed.
      for (let attempt = 0; attempt < 2; attempt++) {
        const now = this.clock();
        const at = now.toISOString();
        const claimed = await this.db
          .updateTable('calls')
          .set({
            registration_started_at: at,
            registration_lease_until: new Date(now.getTime() + leaseMs).toISOString(),
            updated_at: at,
          })
          .where('call_sid', '=', callSid)
          .where('retell_call_id', 'is', null)
          .where('state', 'not in', ['fallback', ...FINAL_STATES])
          .where((eb) => eb.or([eb('registration_lease_until', 'is', null), eb('registration_lease_until', '<=', at)]))
          .returningAll()
          .executeTakeFirst();
        if (claimed) return { outcome: 'claimed', call: toSummary(this.toCallRow(claimed)) };
        const row = await this.callRow(callSid);
        if (!row) return { outcome: 'not_found' };
        const c = this.toCallRow(row);
        if (c.retellCallId) return { outcome: 'registered', retellCallId: c.retellCallId };
        if (c.state === 'fallback' || FINAL_STATES.has(c.state)) {
          return omitUndefined({ outcome: 'closed', state: c.state, reason: c.stateReason });
        }
        if (c.registrationLeaseUntil && c.registrationLeaseUntil > this.now()) {
          return { outcome: 'held', until: c.registrationLeaseUntil };
        }
      }
      return { outcome: 'held', until: this.now() };
    });
  }

  completeRegistration(
    callSid: string,
    registered: { readonly retellCallId: string; readonly agentId?: string },
  ): Promise<boolean> {
    return this.run(async () => {
      const result = await this.db
        .updateTable('calls')
        .set({
          ...this.moveTo('registered'),
          retell_call_id: sql`coalesce(retell_call_id, ${registered.retellCallId})`,
          agent_id: sql`coalesce(${registered.agentId ?? null}, agent_id)`,
          registration_lease_until: null,
          updated_at: this.now(),
        })
        .where('call_sid', '=', callSid)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    });
  }

  transition(callSid: string, to: CallState, reason?: string): Promise<boolean> {
    const from = statesBefore(to);
    if (from.length === 0) return Promise.resolve(false);
    return this.run(async () => {
      const at = this.now();
      const result = await this.db
        .updateTable('calls')
        .set({
          state: to,
          [STATE_TIME_COLUMN[to]]: at,
          ...(reason !== undefined ? { state_reason: reason } : {}),
          updated_at: at,
        })
        .where('call_sid', '=', callSid)
        .where('state', 'in', from)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    });
  }

  applyStatus(callSid: string, callback: StatusCallback): Promise<StatusOutcome> {
    const seq = callback.sequenceNumber;
    const rank = TWILIO_CALL_STATUSES.indexOf(callback.status);
    return this.run(() =>
      this.db.transaction().execute(async (trx) => {
        if (!(await this.exists(trx, callSid))) return 'not_found';
        const at = this.now();
        const stored = await trx
          .insertInto('twilio_status_events')
          .values({
            call_sid: callSid,
            status: callback.status,
            sequence_number: seq ?? null,
            applied: this.flag(false),
            call_duration: callback.callDuration ?? null,
            sip_response_code: callback.sipResponseCode ?? null,
            received_at: at,
          })
          .onConflict((oc) => oc.columns(['call_sid', 'sequence_number']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!stored) return 'duplicate';
        // Newer than every applied status, by sequence number when both have one, else by Twilio's status order;
        // a terminal status is never left. This update locks the call's row for the rest of the transaction.
        const applied = await trx
          .updateTable('calls')
          .set({
            twilio_status: callback.status,
            ...(seq !== undefined ? { twilio_sequence_number: seq } : {}),
            updated_at: at,
          })
          .where('call_sid', '=', callSid)
          .where((eb) =>
            eb.or([eb('twilio_status', 'is', null), eb('twilio_status', 'not in', [...TERMINAL_CALL_STATUSES])]),
          )
          .where((eb) =>
            seq === undefined
              ? eb(STATUS_RANK, '<', rank)
              : eb.or([
                  eb.and([eb('twilio_sequence_number', 'is', null), eb(STATUS_RANK, '<', rank)]),
                  eb('twilio_sequence_number', '<', seq),
                ]),
          )
          .returning('state')
          .executeTakeFirst();
        if (!applied) return 'stale';
        await trx
          .updateTable('twilio_status_events')
          .set({ applied: this.flag(true) })
          .where('id', '=', stored.id)
          .execute();
        if (TERMINAL_CALL_STATUSES.has(callback.status)) {
          const completed = callback.status === 'completed';
          const to = terminalStateFor(applied.state as CallState, completed);
          await trx
            .updateTable('calls')
            .set({
              state: to,
              [STATE_TIME_COLUMN[to]]: at,
              ...(completed ? {} : { state_reason: callback.status }),
            })
            .where('call_sid', '=', callSid)
            .where('state', 'in', statesBefore(to))
            .execute();
        }
        return 'applied';
      }),
    );
  }

  recordStreamEvent(
    callSid: string,
    event: { readonly event: string; readonly streamSid?: string; readonly error?: string },
  ): Promise<boolean> {
    return this.run(async () => {
      // Calls are never deleted, so one that exists now still exists at the insert.
      if (!(await this.exists(this.db, callSid))) return false;
      await this.db
        .insertInto('twilio_stream_events')
        .values({
          call_sid: callSid,
          event: event.event,
          stream_sid: event.streamSid ?? null,
          error: event.error ?? null,
          received_at: this.now(),
        })
        .execute();
      return true;
    });
  }

  recordRetellEvent(callSid: string, input: RetellEventInput): Promise<RetellEventOutcome> {
    return this.run(() =>
      this.db.transaction().execute(async (trx) => {
        if (!(await this.exists(trx, callSid))) return 'not_found';
        const at = this.now();
        const stored = await trx
          .insertInto('retell_events')
          .values({
            call_sid: callSid,
            event: input.event,
            occurrence: input.occurrence,
            retell_call_id: input.retellCallId,
            payload: this.json(input.payload),
            received_at: at,
          })
          .onConflict((oc) => oc.columns(['call_sid', 'event', 'occurrence']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!stored) return 'duplicate';
        const f = input.facts;
        await trx
          .updateTable('calls')
          .set({
            ...(input.connects ? this.moveTo('connected') : {}),
            retell_call_id: sql`coalesce(retell_call_id, ${input.retellCallId})`,
            ...(f.callStatus !== undefined ? { retell_call_status: f.callStatus } : {}),
            ...(f.recordingUrl !== undefined ? { retell_recording_url: f.recordingUrl } : {}),
            ...(f.disconnectionReason !== undefined ? { retell_disconnection_reason: f.disconnectionReason } : {}),
            ...(f.analysis !== undefined ? { retell_analysis: JSON.stringify(f.analysis) } : {}),
            ...(f.startTimestamp !== undefined ? { retell_start_timestamp: f.startTimestamp } : {}),
            ...(f.endTimestamp !== undefined ? { retell_end_timestamp: f.endTimestamp } : {}),
            ...(f.durationMs !== undefined ? { retell_duration_ms: f.durationMs } : {}),
            updated_at: at,
          })
          .where('call_sid', '=', callSid)
          .execute();
        if (input.transcript) {
          // Cumulative: a late delivery of an older (shorter) transcript does not replace a newer one.
          await trx
            .insertInto('call_transcripts')
            .values({
              call_sid: callSid,
              transcript: input.transcript.text,
              turns: this.json(input.transcript.turns),
              updated_at: at,
            })
            .onConflict((oc) =>
              oc
                .column('call_sid')
                .doUpdateSet((eb) => ({
                  transcript: eb.ref('excluded.transcript'),
                  turns: eb.ref('excluded.turns'),
                  updated_at: eb.ref('excluded.updated_at'),
                }))
                .where(
                  (eb) =>
                    sql<SqlBool>`length(${eb.ref('call_transcripts.transcript')}) <= length(${eb.ref('excluded.transcript')})`,
                ),
            )
            .execute();
        }
        return 'stored';
      }),
    );
  }

  attachMedia(callSid: string, stream: MediaStreamInput): Promise<boolean> {
    return this.run(async () => {
      if (!(await this.exists(this.db, callSid))) return false;
      const at = this.now();
      // One stream per call: a new one replaces only an ended one.
      const attached = await this.db
        .insertInto('call_media')
        .values({
          call_sid: callSid,
          stream_sid: stream.streamSid,
          mode: stream.mode,
          tracks: JSON.stringify(stream.tracks),
          started_at: at,
          ended_at: null,
          frames: JSON.stringify(stream.frames),
          dropped: JSON.stringify(stream.dropped),
          analytics: null,
          relay: this.json(stream.relay),
          updated_at: at,
        })
        .onConflict((oc) =>
          oc
            .column('call_sid')
            .doUpdateSet((eb) => ({
              stream_sid: eb.ref('excluded.stream_sid'),
              mode: eb.ref('excluded.mode'),
              tracks: eb.ref('excluded.tracks'),
              started_at: eb.ref('excluded.started_at'),
              ended_at: null,
              frames: eb.ref('excluded.frames'),
              dropped: eb.ref('excluded.dropped'),
              analytics: null,
              relay: eb.ref('excluded.relay'),
              updated_at: eb.ref('excluded.updated_at'),
            }))
            .where('call_media.ended_at', 'is not', null),
        )
        .returning('call_sid')
        .executeTakeFirst();
      if (attached) return true;
      const current = await this.db
        .selectFrom('call_media')
        .select(['stream_sid', 'ended_at'])
        .where('call_sid', '=', callSid)
        .executeTakeFirst();
      return current?.stream_sid === stream.streamSid && current.ended_at === null;
    });
  }

  patchAnalytics(callSid: string, streamSid: string, patch: MediaPatch): Promise<boolean> {
    return this.run(async () => {
      const result = await this.db
        .updateTable('call_media')
        .set({ ...this.mediaPatch(patch), updated_at: this.now() })
        .where('call_sid', '=', callSid)
        .where('stream_sid', '=', streamSid)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    });
  }

  detachMedia(callSid: string, streamSid: string, patch: MediaPatch): Promise<boolean> {
    return this.run(async () => {
      const at = this.now();
      const result = await this.db
        .updateTable('call_media')
        .set({ ...this.mediaPatch(patch), ended_at: at, updated_at: at })
        .where('call_sid', '=', callSid)
        .where('stream_sid', '=', streamSid)
        .where('ended_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    });
  }

  claimEscalation(callSid: string, request: EscalationRequest): Promise<EscalationClaim> {
    return this.run(async () => {
      if (!(await this.exists(this.db, callSid))) return { outcome: 'not_found' };
      // Twice at most: the open escalation can end between the refused insert and the read of it.
      for (let attempt = 0; attempt < 2; attempt++) {
        const claimed = await this.db
          .insertInto('escalations')
          .values({
            call_sid: callSid,
            trigger: request.trigger,
            reason: request.reason ?? null,
            target: request.target ?? null,
            requested_at: this.now(),
          })
          .onConflict((oc) => oc.column('call_sid').where('ended_at', 'is', null).doNothing())
          .returningAll()
          .executeTakeFirst();
        if (claimed) return { outcome: 'claimed', escalation: this.toEscalation(claimed) };
        const open = await this.db
          .selectFrom('escalations')
          .selectAll()
          .where('call_sid', '=', callSid)
          .where('ended_at', 'is', null)
          .executeTakeFirst();
        if (open) return { outcome: 'open', escalation: this.toEscalation(open) };
      }
      throw new Error(`escalation of ${callSid} could neither be claimed nor found`);
    });
  }

  updateEscalation(callSid: string, id: string, patch: EscalationPatch): Promise<EscalationRecord | undefined> {
    if (!/^\d{1,15}$/.test(id)) return Promise.resolve(undefined);
    return this.run(async () => {
      const row = await this.db
        .updateTable('escalations')
        .set({
          target: sql`coalesce(target, ${patch.target ?? null})`,
          transferred_at: sql`coalesce(transferred_at, ${patch.transferredAt ?? null})`,
          answered_at: sql`coalesce(answered_at, ${patch.answeredAt ?? null})`,
          ended_at: sql`coalesce(ended_at, ${patch.endedAt ?? null})`,
          outcome: sql`coalesce(outcome, ${patch.outcome ?? null})`,
        })
        .where('call_sid', '=', callSid)
        .where('id', '=', Number(id))
        .returningAll()
        .executeTakeFirst();
      return row && this.toEscalation(row);
    });
  }

  beginIdempotent(scope: string, key: string, requestHash: string): Promise<IdempotencyBegin> {
    return this.run(async () => {
      const started = await this.db
        .insertInto('idempotency_keys')
        .values({ scope, key, request_hash: requestHash, created_at: this.now() })
        .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
        .returning('key')
        .executeTakeFirst();
      if (started) return { outcome: 'started' };
      const entry = await this.idempotencyEntry(scope, key);
      if (!entry) throw new Error(`idempotency key ${scope}/${key} could neither be stored nor found`);
      return { outcome: 'exists', entry };
    });
  }

  completeIdempotent(
    scope: string,
    key: string,
    response: { readonly status: number; readonly body: unknown },
  ): Promise<boolean> {
    return this.run(async () => {
      const result = await this.db
        .updateTable('idempotency_keys')
        .set({ completed_at: this.now(), response: JSON.stringify(response) })
        .where('scope', '=', scope)
        .where('key', '=', key)
        .where('completed_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    });
  }

  abandonIdempotent(scope: string, key: string): Promise<boolean> {
    return this.run(async () => {
      const result = await this.db
        .deleteFrom('idempotency_keys')
        .where('scope', '=', scope)
        .where('key', '=', key)
        .where('completed_at', 'is', null)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  lookupIdempotent(scope: string, key: string): Promise<IdempotencyEntry | undefined> {
    return this.run(() => this.idempotencyEntry(scope, key));
  }

  list(query: CallListQuery): Promise<CallPage> {
    return this.run(async () => {
      const before = decodeCursor(query.cursor);
      let select = this.db.selectFrom('calls').selectAll();
      if (before !== undefined) select = select.where('id', '<', before);
      if (query.from !== undefined) select = select.where('from_number', '=', query.from);
      if (query.to !== undefined) select = select.where('to_number', '=', query.to);
      if (query.state !== undefined) select = select.where('state', '=', query.state);
      if (query.since !== undefined) select = select.where('created_at', '>=', query.since);
      if (query.until !== undefined) select = select.where('created_at', '<', query.until);
      const rows = await select
        .orderBy('id', 'desc')
        .limit(query.limit + 1)
        .execute();
      const page = rows.slice(0, query.limit);
      return omitUndefined({
        items: await this.assemble(page),
        nextCursor: rows.length > page.length ? encodeCursor(Number(page[page.length - 1]!.id)) : undefined,
      });
    });
  }

  ping(): Promise<void> {
    return this.run(async () => {
      await sql`select 1`.execute(this.db);
    });
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** Runs an operation, reporting an unreachable database as {@link CallStoreUnavailableError}. */
  private async run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      throw toStoreError(err);
    }
  }

  private callRow(callSid: string): Promise<CallsRow | undefined> {
    return this.db.selectFrom('calls').selectAll().where('call_sid', '=', callSid).executeTakeFirst();
  }

  private async exists(db: Db, callSid: string): Promise<boolean> {
    const row = await db.selectFrom('calls').select('call_sid').where('call_sid', '=', callSid).executeTakeFirst();
    return row !== undefined;
  }

  private newCall(input: NewCall, voiceWebhookCount: number) {
    const at = this.now();
    return {
      call_sid: input.callSid,
      direction: input.direction,
      from_number: input.from,
      to_number: input.to,
      state: 'ringing',
      ringing_at: at,
      created_at: at,
      updated_at: at,
      agent_id: input.agentId ?? null,
      metadata: this.json(input.metadata),
      dynamic_variables: this.json(input.dynamicVariables),
      voice_webhook_count: voiceWebhookCount,
    };
  }

  /**
   * SET clauses that move the call to `to` only from a state before it (`CASE WHEN state IN (…)`), for updates that
   * change other columns unconditionally. Every expression sees the row as it was, so the order does not matter.
   */
  private moveTo(to: CallState) {
    const allowed = sql<SqlBool>`${sql.ref('state')} in (${sql.join(statesBefore(to).map((s) => sql.lit(s)))})`;
    return {
      state: sql<string>`case when ${allowed} then ${sql.lit(to)} else ${sql.ref('state')} end`,
      [STATE_TIME_COLUMN[to]]:
        sql<string>`case when ${allowed} then ${this.now()} else ${sql.ref(STATE_TIME_COLUMN[to])} end`,
    };
  }

  private mediaPatch(patch: MediaPatch) {
    return {
      ...(patch.frames ? { frames: JSON.stringify(patch.frames) } : {}),
      ...(patch.dropped ? { dropped: JSON.stringify(patch.dropped) } : {}),
      ...(patch.analytics ? { analytics: JSON.stringify(patch.analytics) } : {}),
      ...(patch.relay ? { relay: JSON.stringify(patch.relay) } : {}),
    };
  }

  private async idempotencyEntry(scope: string, key: string): Promise<IdempotencyEntry | undefined> {
    const row = await this.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('scope', '=', scope)
      .where('key', '=', key)
      .executeTakeFirst();
    return row && this.toIdempotencyEntry(row);
  }

  /** Records for `rows` with their histories: one query per table for the whole page. */
  private async assemble(rows: readonly CallsRow[]): Promise<CallRecord[]> {
    if (rows.length === 0) return [];
    const sids = rows.map((r) => r.call_sid);
    const [statuses, streamEvents, retellEvents, transcripts, media, escalations] = await Promise.all([
      this.db.selectFrom('twilio_status_events').selectAll().where('call_sid', 'in', sids).orderBy('id').execute(),
      this.db.selectFrom('twilio_stream_events').selectAll().where('call_sid', 'in', sids).orderBy('id').execute(),
      this.db
        .selectFrom('retell_events')
        .select(['call_sid', 'event', 'occurrence', 'retell_call_id', 'received_at'])
        .where('call_sid', 'in', sids)
        .orderBy('id')
        .execute(),
      this.db.selectFrom('call_transcripts').select(['call_sid', 'transcript']).where('call_sid', 'in', sids).execute(),
      this.db.selectFrom('call_media').selectAll().where('call_sid', 'in', sids).execute(),
      this.db.selectFrom('escalations').selectAll().where('call_sid', 'in', sids).orderBy('id').execute(),
    ]);
    const group = <R extends { call_sid: string }, T>(items: readonly R[], map: (r: R) => T) => {
      const out = new Map<string, T[]>();
      for (const item of items) {
        const list = out.get(item.call_sid) ?? [];
        list.push(map(item));
        out.set(item.call_sid, list);
      }
      return out;
    };
    const statusBy = group(statuses, (s): TwilioStatusEntry =>
      omitUndefined({
        status: s.status as TwilioCallStatus,
        sequenceNumber: s.sequence_number ?? undefined,
        receivedAt: this.iso(s.received_at)!,
        applied: Boolean(s.applied),
        callDuration: s.call_duration ?? undefined,
        sipResponseCode: s.sip_response_code ?? undefined,
      }),
    );
    const streamBy = group(streamEvents, (e): StreamEventRow =>
      omitUndefined({
        event: e.event,
        streamSid: e.stream_sid ?? undefined,
        error: e.error ?? undefined,
        receivedAt: this.iso(e.received_at)!,
      }),
    );
    const retellBy = group(retellEvents, (e): RetellEventRow => ({
      event: e.event,
      occurrence: e.occurrence,
      retellCallId: e.retell_call_id,
      receivedAt: this.iso(e.received_at)!,
    }));
    const escalationBy = group(escalations, (e) => this.toEscalation(e));
    const transcriptBy = new Map(transcripts.map((t) => [t.call_sid, t.transcript]));
    const mediaBy = new Map(
      media.map((m): [string, MediaRow] => [
        m.call_sid,
        omitUndefined({
          streamSid: m.stream_sid,
          mode: m.mode as CallMediaInfo['mode'],
          tracks: this.parse<string[]>(m.tracks) ?? [],
          startedAt: this.iso(m.started_at)!,
          endedAt: this.iso(m.ended_at),
          frames: this.parse<CallMediaInfo['frames']>(m.frames) ?? { inbound: 0, outbound: 0 },
          dropped: this.parse<CallMediaInfo['dropped']>(m.dropped) ?? {},
          analytics: this.parse(m.analytics),
          relay: this.parse(m.relay),
        }),
      ]),
    );
    return rows.map((row) => {
      const sid = row.call_sid;
      const parts: CallParts = {
        call: this.toCallRow(row),
        statuses: statusBy.get(sid) ?? [],
        streamEvents: streamBy.get(sid) ?? [],
        retellEvents: retellBy.get(sid) ?? [],
        transcript: transcriptBy.get(sid),
        media: mediaBy.get(sid),
        escalations: escalationBy.get(sid) ?? [],
      };
      return assembleCallRecord(parts);
    });
  }

  private toCallRow(r: CallsRow): CallRow {
    const stateTimes: Partial<Record<CallState, string>> = {};
    for (const state of CALL_STATES) {
      const at = this.iso(r[STATE_TIME_COLUMN[state]]);
      if (at !== undefined) stateTimes[state] = at;
    }
    return omitUndefined({
      callSid: r.call_sid,
      direction: r.direction as CallDirection,
      from: r.from_number,
      to: r.to_number,
      state: r.state as CallState,
      stateReason: r.state_reason ?? undefined,
      stateTimes,
      createdAt: this.iso(r.created_at)!,
      updatedAt: this.iso(r.updated_at)!,
      retellCallId: r.retell_call_id ?? undefined,
      agentId: r.agent_id ?? undefined,
      metadata: this.parse(r.metadata),
      dynamicVariables: this.parse(r.dynamic_variables),
      registrationStartedAt: this.iso(r.registration_started_at),
      registrationLeaseUntil: this.iso(r.registration_lease_until),
      twilioStatus: (r.twilio_status ?? undefined) as TwilioCallStatus | undefined,
      twilioSequenceNumber: r.twilio_sequence_number ?? undefined,
      voiceWebhookCount: Number(r.voice_webhook_count),
      retellCallStatus: r.retell_call_status ?? undefined,
      recordingUrl: r.retell_recording_url ?? undefined,
      disconnectionReason: r.retell_disconnection_reason ?? undefined,
      analysis: this.parse(r.retell_analysis),
      startTimestamp: this.num(r.retell_start_timestamp),
      endTimestamp: this.num(r.retell_end_timestamp),
      durationMs: this.num(r.retell_duration_ms),
    });
  }

  private toEscalation(r: Selectable<EscalationsTable>): EscalationRecord {
    return omitUndefined({
      id: String(r.id),
      trigger: r.trigger,
      reason: r.reason ?? undefined,
      target: r.target ?? undefined,
      requestedAt: this.iso(r.requested_at)!,
      transferredAt: this.iso(r.transferred_at),
      answeredAt: this.iso(r.answered_at),
      endedAt: this.iso(r.ended_at),
      outcome: r.outcome ?? undefined,
    });
  }

  private toIdempotencyEntry(r: Selectable<IdempotencyKeysTable>): IdempotencyEntry {
    return omitUndefined({
      scope: r.scope,
      key: r.key,
      requestHash: r.request_hash,
      createdAt: this.iso(r.created_at)!,
      completedAt: this.iso(r.completed_at),
      response: this.parse(r.response),
    });
  }

  private now(): string {
    return this.clock().toISOString();
  }

  private json(value: unknown): string | null {
    return value === undefined ? null : JSON.stringify(value);
  }

  /** JSON columns: parsed by `pg` (jsonb), text in SQLite. */
  private parse<T>(value: unknown): T | undefined {
    if (value === null || value === undefined) return undefined;
    return (this.dialect === 'sqlite' && typeof value === 'string' ? JSON.parse(value) : value) as T;
  }

  private iso(value: Date | string | null): string | undefined {
    if (value === null) return undefined;
    return value instanceof Date ? value.toISOString() : value;
  }

  private num(value: number | string | null): number | undefined {
    return value === null ? undefined : Number(value);
  }

  private flag(value: boolean): boolean | number {
    return this.dialect === 'sqlite' ? Number(value) : value;
  }
}
