import { z } from 'zod';

/** Body of `POST /calls`. */
export const PlaceCallSchema = z.strictObject({
  to: z.string().regex(/^\+[1-9]\d{6,14}$/, { error: 'to must be an E.164 number such as +14155550100' }),
  agentId: z.string().min(1).max(128).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  dynamicVariables: z.record(z.string(), z.string().max(2000)).optional(),
});
export type PlaceCallDto = z.infer<typeof PlaceCallSchema>;

/** Query of `GET /calls`. */
export const ListCallsSchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .regex(/^[0-9a-z]{1,16}$/)
    .optional(),
});
