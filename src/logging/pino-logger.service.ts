import { Inject, Injectable, type LoggerService, type OnApplicationShutdown } from '@nestjs/common';
import { pino, type Logger } from 'pino';
import { callContext } from './call-context.js';
import { LOGGING_MODULE_OPTIONS } from './logging.module-definition.js';
import { resolveLoggingOptions, type LoggingModuleOptions } from './logging.options.js';

/**
 * Nest's logger as JSON lines through pino. Every line made while handling a call carries its CallSid (from
 * {@link callContext}); a structured message (`logger.log({ msg, ...fields })`) keeps its fields.
 */
@Injectable()
export class PinoLoggerService implements LoggerService, OnApplicationShutdown {
  readonly pino: Logger;

  constructor(@Inject(LOGGING_MODULE_OPTIONS) options: LoggingModuleOptions) {
    const o = resolveLoggingOptions(options);
    this.pino = pino(
      {
        level: o.level,
        base: o.base,
        timestamp: pino.stdTimeFunctions.isoTime,
        mixin: () => callContext.fields(),
        // Belt and braces: these never belong in a log line.
        redact: {
          paths: ['authToken', 'apiKey', 'headers.authorization', '*.authToken', '*.apiKey'],
          censor: '[redacted]',
        },
      },
      pino.destination({ dest: o.destination, sync: true }),
    );
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  onApplicationShutdown(): void {
    this.pino.flush();
  }

  /** Nest passes `(message, ...params, context)`; an Error's stack arrives as a string param for `error`. */
  private write(
    level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal',
    message: unknown,
    rest: unknown[],
  ): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const params = [...rest];
    const context =
      params.length && typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    const fields: Record<string, unknown> = context ? { context } : {};
    if (level === 'error' && typeof params[0] === 'string' && params[0].includes('\n    at '))
      fields.stack = params.shift();
    if (params.length) fields.params = params;
    if (message instanceof Error) {
      this.pino[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      const { msg, ...rest2 } = message as Record<string, unknown>;
      this.pino[level]({ ...fields, ...rest2 }, typeof msg === 'string' ? msg : undefined);
    } else {
      this.pino[level](fields, String(message));
    }
  }
}
