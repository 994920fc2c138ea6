import { RequestMethod } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { pino } from 'pino';
import type { ResolvedLoggingOptions } from './logging.options.js';

/** Never in a log line, wherever they turn up. */
const REDACTED_PATHS = [
  'authToken',
  'apiKey',
  'token',
  '*.authToken',
  '*.apiKey',
  '*.token',
  'headers.authorization',
  'req.headers.authorization',
];

/**
 * `nestjs-pino` settings: one pino instance writing JSON lines (ISO time, redaction) that both Nest's logger and
 * `pino-http` use, so a line logged while handling a request carries that request's bindings (`reqId`, then the
 * `callSid` a handler assigns through {@link CallLogContext}).
 *
 * Requests themselves are logged at `debug` (errors at `error`), as method, URL and status only: headers carry the
 * API's bearer token and the webhook signatures.
 */
export function pinoParams(o: ResolvedLoggingOptions): Params {
  const logger = pino(
    {
      level: o.level,
      base: o.base,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    pino.destination({ dest: o.destination, sync: true }),
  );
  return {
    pinoHttp: {
      logger,
      // Lines logged while handling a request carry its `reqId` (and the call, once named); the request's own line
      // carries method, URL, status and time.
      quietReqLogger: true,
      customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
        err || res.statusCode >= 500 ? 'error' : 'debug',
      serializers: {
        req: (req: { id?: unknown; method?: string; url?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    // The request's own line gets the call too.
    assignResponse: true,
    // Express 5's path syntax for "every route" (nestjs-pino 4 defaults to the legacy `*`).
    forRoutes: [{ path: '{/*splat}', method: RequestMethod.ALL }],
  };
}
