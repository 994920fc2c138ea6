/**
 * Retell AI webhook and custom-function payloads, validated once at the edge with zod. Retell adds fields to its call
 * object over time, so the schemas keep unknown keys (`looseObject`) and only require what callbridge relies on.
 *
 * @see https://docs.retellai.com/features/webhook
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Webhook events Retell sends for a call. */
export const RETELL_EVENTS = [
  'call_started',
  'call_ended',
  'call_analyzed',
  'transcript_updated',
  'transfer_started',
  'transfer_bridged',
  'transfer_cancelled',
  'transfer_ended',
] as const;
export type RetellEventName = (typeof RETELL_EVENTS)[number];

/** The subset of Retell's call object (the get-call response) callbridge records. */
export const RetellCallSchema = z.looseObject({
  call_id: z.string().min(1),
  agent_id: z.string().optional(),
  call_status: z.string().optional(),
  direction: z.string().optional(),
  from_number: z.string().optional(),
  to_number: z.string().optional(),
  start_timestamp: z.number().optional(),
  end_timestamp: z.number().optional(),
  duration_ms: z.number().optional(),
  transcript: z.string().optional(),
  recording_url: z.string().optional(),
  disconnection_reason: z.string().optional(),
  call_analysis: z.record(z.string(), z.unknown()).optional(),
  metadata: z.unknown().optional(),
});
export type RetellCall = z.infer<typeof RetellCallSchema>;

/** A Retell webhook body: `{ event, call }`. */
export const RetellWebhookSchema = z.looseObject({
  event: z.enum(RETELL_EVENTS),
  call: RetellCallSchema,
});
export type RetellWebhookEvent = z.infer<typeof RetellWebhookSchema>;

/**
 * A custom-function request. Retell posts `{ call, name, args }`, or the bare arguments when the function is set to
 * "args at root"; {@link parseRetellFunctionCall} normalises both to this shape.
 */
export interface RetellFunctionCall {
  readonly name: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly call?: RetellCall;
}

const FunctionEnvelopeSchema = z.looseObject({
  name: z.string().optional(),
  args: z.record(z.string(), z.unknown()).optional(),
  call: RetellCallSchema.optional(),
});

/** Normalises a custom-function body; `routeName` is the `:name` in the URL, the authority for which handler runs. */
export function parseRetellFunctionCall(routeName: string, body: unknown): RetellFunctionCall {
  const parsed = FunctionEnvelopeSchema.safeParse(body ?? {});
  if (parsed.success && parsed.data.args !== undefined) {
    return { name: routeName, args: parsed.data.args, call: parsed.data.call };
  }
  const bare =
    typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  return { name: routeName, args: bare };
}

/**
 * The key a webhook delivery is deduplicated on. Retell retries a non-2xx delivery and may deliver twice; one
 * (event, call) pair is one fact, except transfers, which can repeat within a call and carry their own start time.
 * `transcript_updated` is cumulative: every delivery replaces the last one, so it needs no key.
 */
export function retellEventKey(e: RetellWebhookEvent): string | undefined {
  if (e.event === 'transcript_updated') return undefined;
  const transferAt = e.event.startsWith('transfer_')
    ? String((e.call as Record<string, unknown>)['transfer_start_timestamp'] ?? e.call.start_timestamp ?? '')
    : '';
  return `${e.event}:${e.call.call_id}${transferAt ? `:${transferAt}` : ''}`;
}

/**
 * The event's own time or position within its call: with (call, event) the unique key a delivery is stored under, so
 * a retry (same body) is recognised. Retell's envelope carries no event id or timestamp: lifecycle events happen once
 * per call (empty), transfers can repeat and carry their start time, and each cumulative transcript update is told
 * apart by its content.
 */
export function retellEventOccurrence(e: RetellWebhookEvent): string {
  if (e.event === 'transcript_updated') {
    return createHash('sha256')
      .update(e.call.transcript ?? '')
      .digest('hex')
      .slice(0, 32);
  }
  if (e.event.startsWith('transfer_')) {
    return String((e.call as Record<string, unknown>)['transfer_start_timestamp'] ?? e.call.start_timestamp ?? '');
  }
  return '';
}
