import { z } from 'zod';
import { parseModuleOptions } from '../common/module-options.js';
import { LOG_LEVELS, type LogLevel } from './log-level.js';

/** Options of {@link LoggingModule}. */
export interface LoggingModuleOptions {
  /** Default `info`; `silent` writes nothing. */
  level?: LogLevel;
  /** Where JSON lines go: a file descriptor or a file path. Default stdout (fd 1). */
  destination?: number | string;
  /** Static fields on every line; `service: 'callbridge'` unless given. */
  base?: Record<string, unknown>;
}

const LoggingOptionsSchema = z.strictObject({
  level: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  destination: z
    .union([z.number().int().min(0), z.string().min(1)], { error: 'must be a file descriptor or a file path' })
    .default(1),
  base: z
    .record(z.string(), z.unknown())
    .default({})
    .transform((base) => ({ service: 'callbridge', ...base })),
});

/** {@link LoggingModuleOptions} with defaults applied. */
export type ResolvedLoggingOptions = Readonly<z.output<typeof LoggingOptionsSchema>>;

/** Merges defaults and validates; a wrong option fails at boot, naming every bad one. */
export function resolveLoggingOptions(options: LoggingModuleOptions = {}): ResolvedLoggingOptions {
  return parseModuleOptions('LoggingModule', LoggingOptionsSchema, options);
}
