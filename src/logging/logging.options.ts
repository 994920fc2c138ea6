import type { LogLevel } from './log-level.js';

/** Options of {@link LoggingModule}. */
export interface LoggingModuleOptions {
  /** Default `info`. */
  level?: LogLevel;
  /** Where JSON lines go; default stdout (fd 1). */
  destination?: number | string;
  /** Static fields on every line. */
  base?: Record<string, unknown>;
}

export interface ResolvedLoggingOptions {
  readonly level: LogLevel;
  readonly destination: number | string;
  readonly base: Record<string, unknown>;
}

export function resolveLoggingOptions(options: LoggingModuleOptions = {}): ResolvedLoggingOptions {
  return {
    level: options.level ?? 'info',
    destination: options.destination ?? 1,
    base: { service: 'callbridge', ...options.base },
  };
}
