import { sql, type CreateTableBuilder, type Kysely } from 'kysely';
import { columnTypes, type SqlDialectName } from '../sql-dialect.js';

/**
 * The call store's tables: a row per call, and one table per kind of thing that happens to a call, each with the
 * unique key that makes a repeat a no-op.
 */
export async function up(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  const t = columnTypes(dialect);
  const withId = <N extends string>(table: CreateTableBuilder<N>) =>
    dialect === 'postgres'
      ? table.addColumn('id', 'bigint', (c) => c.generatedByDefaultAsIdentity().primaryKey())
      : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  const callSid = <N extends string>(table: CreateTableBuilder<N>) =>
    table.addColumn('call_sid', 'text', (c) => c.notNull().references('calls.call_sid').onDelete('cascade'));

  await withId(db.schema.createTable('calls'))
    .addColumn('call_sid', 'text', (c) => c.notNull().unique())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('from_number', 'text', (c) => c.notNull())
    .addColumn('to_number', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('state_reason', 'text')
    .addColumn('ringing_at', t.timestamp, (c) => c.notNull())
    .addColumn('registered_at', t.timestamp)
    .addColumn('connected_at', t.timestamp)
    .addColumn('fallback_at', t.timestamp)
    .addColumn('ended_at', t.timestamp)
    .addColumn('failed_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addColumn('retell_call_id', 'text', (c) => c.unique())
    .addColumn('agent_id', 'text')
    .addColumn('metadata', t.json)
    .addColumn('dynamic_variables', t.json)
    .addColumn('registration_started_at', t.timestamp)
    .addColumn('registration_lease_until', t.timestamp)
    .addColumn('twilio_status', 'text')
    .addColumn('twilio_sequence_number', 'integer')
    .addColumn('voice_webhook_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('retell_call_status', 'text')
    .addColumn('retell_recording_url', 'text')
    .addColumn('retell_disconnection_reason', 'text')
    .addColumn('retell_analysis', t.json)
    .addColumn('retell_start_timestamp', t.number)
    .addColumn('retell_end_timestamp', t.number)
    .addColumn('retell_duration_ms', t.number)
    .execute();
  // `GET /calls` filters, each with the keyset order (id) after it.
  await db.schema.createIndex('calls_from_id').on('calls').columns(['from_number', 'id']).execute();
  await db.schema.createIndex('calls_to_id').on('calls').columns(['to_number', 'id']).execute();
  await db.schema.createIndex('calls_state_id').on('calls').columns(['state', 'id']).execute();
  await db.schema.createIndex('calls_created_at').on('calls').column('created_at').execute();

  // Twilio status transitions: one row per callback, unique on (CallSid, SequenceNumber) so a retry is stored once.
  await callSid(withId(db.schema.createTable('twilio_status_events')))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('sequence_number', 'integer')
    .addColumn('applied', t.flag, (c) => c.notNull())
    .addColumn('call_duration', 'integer')
    .addColumn('sip_response_code', 'integer')
    .addColumn('received_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('twilio_status_events_call_sequence', ['call_sid', 'sequence_number'])
    .execute();

  // Media stream status callbacks (the only place a failed stream handshake shows).
  await callSid(withId(db.schema.createTable('twilio_stream_events')))
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('stream_sid', 'text')
    .addColumn('error', 'text')
    .addColumn('received_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('twilio_stream_events_call').on('twilio_stream_events').column('call_sid').execute();

  // Retell webhook deliveries with their payload, unique on (call, event, the event's own time or position).
  await callSid(withId(db.schema.createTable('retell_events')))
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('occurrence', 'text', (c) => c.notNull())
    .addColumn('retell_call_id', 'text', (c) => c.notNull())
    .addColumn('payload', t.json)
    .addColumn('received_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('retell_events_call_event_occurrence', ['call_sid', 'event', 'occurrence'])
    .execute();

  // The latest cumulative transcript (Retell's `transcript_updated` replaces it; the longest wins).
  await db.schema
    .createTable('call_transcripts')
    .addColumn('call_sid', 'text', (c) => c.primaryKey().references('calls.call_sid').onDelete('cascade'))
    .addColumn('transcript', 'text', (c) => c.notNull())
    .addColumn('turns', t.json)
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();

  // The media stream attached to a call (one per call) and its live analytics.
  await db.schema
    .createTable('call_media')
    .addColumn('call_sid', 'text', (c) => c.primaryKey().references('calls.call_sid').onDelete('cascade'))
    .addColumn('stream_sid', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('tracks', t.json, (c) => c.notNull())
    .addColumn('started_at', t.timestamp, (c) => c.notNull())
    .addColumn('ended_at', t.timestamp)
    .addColumn('frames', t.json, (c) => c.notNull())
    .addColumn('dropped', t.json, (c) => c.notNull())
    .addColumn('analytics', t.json)
    .addColumn('relay', t.json)
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();

  // Escalations to a person; the partial unique index allows one open (not ended) escalation per call.
  await callSid(withId(db.schema.createTable('escalations')))
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('target', 'text')
    .addColumn('requested_at', t.timestamp, (c) => c.notNull())
    .addColumn('transferred_at', t.timestamp)
    .addColumn('answered_at', t.timestamp)
    .addColumn('ended_at', t.timestamp)
    .addColumn('outcome', 'text')
    .execute();
  await db.schema
    .createIndex('escalations_one_open_per_call')
    .on('escalations')
    .column('call_sid')
    .unique()
    .where(sql.ref('ended_at'), 'is', null)
    .execute();
  await db.schema.createIndex('escalations_call').on('escalations').column('call_sid').execute();

  // Idempotency keys of API requests (`POST /calls` with `Idempotency-Key`).
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('completed_at', t.timestamp)
    .addColumn('response', t.json)
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['scope', 'key'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'idempotency_keys',
    'escalations',
    'call_media',
    'call_transcripts',
    'retell_events',
    'twilio_stream_events',
    'twilio_status_events',
    'calls',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
