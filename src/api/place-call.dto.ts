import { z } from 'zod';
import type { CallState } from '../calls/call-record.js';
import { CALL_STATES } from '../calls/call-state.js';

/** Body of `POST /calls`. */
export const PlaceCallSchema = z.strictObject({
  to: z.string().regex(/^\+[1-9]\d{6,14}$/, { error: 'to must be an E.164 number such as +14155550100' }),
  agentId: z.string().min(1).max(128).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  dynamicVariables: z.record(z.string(), z.string().max(2000)).optional(),
});
export type PlaceCallDto = z.infer<typeof PlaceCallSchema>;

/** An ISO 8601 time, normalised to UTC with milliseconds (the form the store compares). */
const isoTime = (name: string) =>
  z
    .string()
    .max(40)
    .refine((v) => /^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(Date.parse(v)), {
      error: `${name} must be an ISO 8601 time such as 2030-01-31T12:00:00Z`,
    })
    .transform((v) => new Date(v).toISOString());

/** Query of `GET /calls`: newest first, filters combined with AND. */
export const ListCallsSchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .regex(/^[0-9a-z]{1,16}$/)
    .optional(),
  /** Caller number, exactly as stored (E.164 for Twilio calls). */
  from: z.string().min(1).max(64).optional(),
  to: z.string().min(1).max(64).optional(),
  state: z
    .enum(CALL_STATES as [CallState, ...CallState[]], { error: `state must be one of ${CALL_STATES.join(', ')}` })
    .optional(),
  /** Created at or after. */
  since: isoTime('since').optional(),
  /** Created before. */
  until: isoTime('until').optional(),
});
export type ListCallsQuery = z.infer<typeof ListCallsSchema>;
