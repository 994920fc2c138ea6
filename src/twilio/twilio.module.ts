import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import twilio from 'twilio';
import { CallLogContext } from '../logging/call-log-context.js';
import { WebhookMetricsMiddleware } from '../metrics/webhook-metrics.middleware.js';
import { CALL_CONTROL } from './call-control.port.js';
import { CallStatusService } from './call-status.service.js';
import { MediaStreamPlanSource } from './media-stream-plan.source.js';
import { OutboundCallService } from './outbound-call.service.js';
import { BaseUrlRequestClient } from './twilio-base-url.request-client.js';
import { TwilioCallControl } from './twilio-call-control.js';
import { TwilioRestRetry } from './twilio-rest-retry.js';
import { TwilioSignatureGuard } from './twilio-signature.guard.js';
import { TwilioSignatureValidator } from './twilio-signature.validator.js';
import { TWILIO_CLIENT } from './twilio-client.token.js';
import { RESOLVED_TWILIO_OPTIONS } from './twilio.constants.js';
import { ConfigurableTwilioModule, TWILIO_MODULE_OPTIONS } from './twilio.module-definition.js';
import { resolveTwilioOptions, type ResolvedTwilioOptions } from './twilio.options.js';
import { TwimlFactory } from './twiml.factory.js';
import { VoiceCallService } from './voice-call.service.js';
import { VoiceWebhookController } from './voice-webhook.controller.js';

/**
 * Twilio Voice: the signed webhooks (voice, dial-complete, call and stream status), TwiML, outbound calls, and the
 * {@link CallControl} port (`CALL_CONTROL`) through which other modules move a live call. Needs {@link CallsModule}
 * (global), {@link RetellModule} and MetricsModule. The voice webhook streams media as the app's `MEDIA_STREAM_PLAN`
 * says (MediaModule provides it); without one it dials the agent with no stream.
 */
@Module({
  controllers: [VoiceWebhookController],
  providers: [
    { provide: RESOLVED_TWILIO_OPTIONS, useFactory: resolveTwilioOptions, inject: [TWILIO_MODULE_OPTIONS] },
    {
      provide: TWILIO_CLIENT,
      // Retries are TwilioRestRetry's (429, 5xx and network errors, per operation); the SDK's own retry only 429s.
      useFactory: (o: ResolvedTwilioOptions) =>
        twilio(o.accountSid, o.authToken, {
          autoRetry: false,
          timeout: o.rest.timeoutMs,
          ...(o.apiBaseUrl
            ? { httpClient: new BaseUrlRequestClient(o.apiBaseUrl, { timeout: o.rest.timeoutMs }) }
            : {}),
        }),
      inject: [RESOLVED_TWILIO_OPTIONS],
    },
    TwilioSignatureValidator,
    TwilioSignatureGuard,
    TwimlFactory,
    MediaStreamPlanSource,
    CallLogContext,
    VoiceCallService,
    CallStatusService,
    TwilioRestRetry,
    OutboundCallService,
    TwilioCallControl,
    { provide: CALL_CONTROL, useExisting: TwilioCallControl },
  ],
  exports: [CALL_CONTROL, TwilioSignatureValidator, TwilioSignatureGuard, TwimlFactory, OutboundCallService],
})
export class TwilioModule extends ConfigurableTwilioModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(WebhookMetricsMiddleware('twilio')).forRoutes(VoiceWebhookController);
  }
}
