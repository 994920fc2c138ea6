import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import Retell from 'retell-sdk';
import { CallLogContext } from '../logging/call-log-context.js';
import { WebhookMetricsMiddleware } from '../metrics/webhook-metrics.middleware.js';
import { RETELL_MODULE_OPTIONS, ConfigurableRetellModule } from './retell.module-definition.js';
import { RESOLVED_RETELL_OPTIONS, RETELL_CLIENT } from './retell.constants.js';
import { resolveRetellOptions, type ResolvedRetellOptions } from './retell.options.js';
import { RetellEventsService } from './retell-events.service.js';
import { RetellFunctionRegistry } from './retell-function.registry.js';
import { RetellFunctionsController } from './retell-functions.controller.js';
import { RetellRegistrationService } from './retell-registration.service.js';
import { RetellSignatureGuard } from './retell-signature.guard.js';
import { RetellWebhookController } from './retell-webhook.controller.js';

/**
 * Retell AI: registers phone calls for Dial-to-SIP, receives signed webhooks and custom-function calls.
 * Needs {@link CallsModule} (global), MetricsModule and an app created with `rawBody: true`. Other modules use its
 * exported services; its options and REST client stay inside.
 *
 * @example RetellModule.forRootAsync({ inject: [APP_ENV], useFactory: (env) => ({ apiKey: env.RETELL_API_KEY, agentId: env.RETELL_AGENT_ID }) })
 */
@Module({
  controllers: [RetellWebhookController, RetellFunctionsController],
  providers: [
    { provide: RESOLVED_RETELL_OPTIONS, useFactory: resolveRetellOptions, inject: [RETELL_MODULE_OPTIONS] },
    {
      provide: RETELL_CLIENT,
      useFactory: (o: ResolvedRetellOptions) => new Retell({ apiKey: o.apiKey, baseURL: o.baseUrl, maxRetries: 0 }),
      inject: [RESOLVED_RETELL_OPTIONS],
    },
    RetellRegistrationService,
    RetellEventsService,
    RetellFunctionRegistry,
    RetellSignatureGuard,
    CallLogContext,
  ],
  exports: [RetellRegistrationService, RetellFunctionRegistry, RetellSignatureGuard],
})
export class RetellModule extends ConfigurableRetellModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(WebhookMetricsMiddleware('retell')).forRoutes(RetellWebhookController, RetellFunctionsController);
  }
}
