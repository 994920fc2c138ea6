import type { ColumnType, Generated } from 'kysely';

/**
 * The call store's tables as Kysely sees them. Column types differ by dialect where the databases do: PostgreSQL
 * returns `timestamptz` as `Date`, `bigint` as a string and `jsonb` parsed; SQLite keeps ISO 8601 text, integers and
 * JSON text. Values are always written as ISO strings, numbers and JSON text, which both accept.
 */
export interface CallDatabase {
  calls: CallsTable;
  twilio_status_events: TwilioStatusEventsTable;
  twilio_stream_events: TwilioStreamEventsTable;
  retell_events: RetellEventsTable;
  call_transcripts: CallTranscriptsTable;
  call_media: CallMediaTable;
  escalations: EscalationsTable;
  idempotency_keys: IdempotencyKeysTable;
}

/** A timestamp: ISO text in SQLite, `timestamptz` in PostgreSQL. */
export type Timestamp = ColumnType<Date | string, string, string>;
/** JSON: text in SQLite, `jsonb` in PostgreSQL. */
export type Json = ColumnType<unknown, string, string>;
/** A boolean: 0/1 in SQLite. */
export type Flag = ColumnType<boolean | number, boolean | number, boolean | number>;
export type Id = Generated<number | string>;

export interface CallsTable {
  id: Id;
  call_sid: string;
  direction: string;
  from_number: string;
  to_number: string;
  state: string;
  state_reason: string | null;
  ringing_at: Timestamp;
  registered_at: Timestamp | null;
  connected_at: Timestamp | null;
  fallback_at: Timestamp | null;
  ended_at: Timestamp | null;
  failed_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  retell_call_id: string | null;
  agent_id: string | null;
  metadata: Json | null;
  dynamic_variables: Json | null;
  registration_started_at: Timestamp | null;
  registration_lease_until: Timestamp | null;
  twilio_status: string | null;
  twilio_sequence_number: number | null;
  voice_webhook_count: number;
  retell_call_status: string | null;
  retell_recording_url: string | null;
  retell_disconnection_reason: string | null;
  retell_analysis: Json | null;
  retell_start_timestamp: number | null;
  retell_end_timestamp: number | null;
  retell_duration_ms: number | null;
}

export interface TwilioStatusEventsTable {
  id: Id;
  call_sid: string;
  status: string;
  sequence_number: number | null;
  applied: Flag;
  call_duration: number | null;
  sip_response_code: number | null;
  received_at: Timestamp;
}

export interface TwilioStreamEventsTable {
  id: Id;
  call_sid: string;
  event: string;
  stream_sid: string | null;
  error: string | null;
  received_at: Timestamp;
}

export interface RetellEventsTable {
  id: Id;
  call_sid: string;
  event: string;
  occurrence: string;
  retell_call_id: string;
  payload: Json | null;
  received_at: Timestamp;
}

export interface CallTranscriptsTable {
  call_sid: string;
  transcript: string;
  turns: Json | null;
  updated_at: Timestamp;
}

export interface CallMediaTable {
  call_sid: string;
  stream_sid: string;
  mode: string;
  tracks: Json;
  started_at: Timestamp;
  ended_at: Timestamp | null;
  frames: Json;
  dropped: Json;
  analytics: Json | null;
  relay: Json | null;
  updated_at: Timestamp;
}

export interface EscalationsTable {
  id: Id;
  call_sid: string;
  trigger: string;
  reason: string | null;
  target: string | null;
  requested_at: Timestamp;
  transferred_at: Timestamp | null;
  answered_at: Timestamp | null;
  ended_at: Timestamp | null;
  outcome: string | null;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  created_at: Timestamp;
  completed_at: Timestamp | null;
  response: Json | null;
}
