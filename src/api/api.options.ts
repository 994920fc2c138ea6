import { z } from 'zod';
import { parseModuleOptions } from '../common/module-options.js';

/** Options of {@link ApiModule}. */
export interface ApiModuleOptions {
  /** Bearer token every `/calls` request must present. At least 16 characters. */
  token: string;
}

const ApiOptionsSchema = z.strictObject({
  token: z.string().min(16, { error: 'must be at least 16 characters' }),
});

export type ResolvedApiOptions = Readonly<z.output<typeof ApiOptionsSchema>>;

export function resolveApiOptions(options: ApiModuleOptions): ResolvedApiOptions {
  return parseModuleOptions('ApiModule', ApiOptionsSchema, options);
}
