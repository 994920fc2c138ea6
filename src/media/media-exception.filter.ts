import { Catch, Injectable, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { WebSocket } from 'ws';
import { MetricsService } from '../metrics/metrics.service.js';

/**
 * Exceptions from media handlers, for raw `ws` clients. Nothing is sent back: Twilio treats any frame it does not
 * expect as error 31951 and may end the stream. The error is logged and counted; the socket and process stay up.
 * Used as a Nest exception filter on the gateway and called directly by its synchronous frame dispatch.
 */
@Catch()
@Injectable()
export class MediaExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(MediaExceptionFilter.name);

  constructor(private readonly metrics: MetricsService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    this.report(exception, host.switchToWs().getClient<WebSocket>());
  }

  /** Counts the frame as dropped (`handler_error`) and logs the error with the socket's state. */
  report(exception: unknown, client: WebSocket | undefined): void {
    this.metrics.mediaFramesDropped.inc({ reason: 'handler_error' });
    this.logger.error({
      msg: 'media frame handler failed',
      error: exception instanceof Error ? exception.message : String(exception),
      stack: exception instanceof Error ? exception.stack : undefined,
      socketOpen: client?.readyState === 1,
    });
  }
}
