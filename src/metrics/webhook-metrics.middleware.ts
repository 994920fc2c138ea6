import { Inject, Injectable, type NestMiddleware, type Type } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MetricsService } from './metrics.service.js';

/** Who sent a webhook. */
export type WebhookSource = 'twilio' | 'retell';

/** What became of a webhook, by the status it was answered with. */
export type WebhookOutcome = 'ok' | 'rejected' | 'invalid' | 'error' | 'aborted';

/** 401/403 come from the signature guards; any other 4xx is a request we refused for what it said. */
export function webhookOutcome(status: number | undefined): WebhookOutcome {
  if (status === undefined) return 'aborted';
  if (status < 400) return 'ok';
  if (status === 401 || status === 403) return 'rejected';
  return status < 500 ? 'invalid' : 'error';
}

const bySource = new Map<WebhookSource, Type<NestMiddleware>>();

/**
 * Middleware counting every webhook of a module's controllers in `callbridge_webhooks_total{source,route,outcome}`
 * once it is answered, rejected ones included (middleware runs before the guards). `route` is the declared route
 * (`/retell/functions/:name`), never the URL, so the label stays bounded. A module applies it to its controllers:
 * `consumer.apply(WebhookMetricsMiddleware('twilio')).forRoutes(VoiceWebhookController)`.
 */
export function WebhookMetricsMiddleware(source: WebhookSource): Type<NestMiddleware> {
  const existing = bySource.get(source);
  if (existing) return existing;

  @Injectable()
  class CountWebhooks implements NestMiddleware {
    constructor(@Inject(MetricsService) private readonly metrics: MetricsService) {}

    use(req: Request, res: Response, next: NextFunction): void {
      let counted = false;
      const count = (answered: boolean) => {
        if (counted) return;
        counted = true;
        const route = (req.route as { path?: unknown } | undefined)?.path;
        this.metrics.webhooks.inc({
          source,
          route: typeof route === 'string' ? req.baseUrl + route : 'unmatched',
          outcome: webhookOutcome(answered ? res.statusCode : undefined),
        });
      };
      res.once('finish', () => count(true));
      res.once('close', () => count(res.writableFinished));
      next();
    }
  }
  bySource.set(source, CountWebhooks);
  return CountWebhooks;
}
