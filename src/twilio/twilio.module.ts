import { Module } from '@nestjs/common';
import twilio from 'twilio';
import { BaseUrlRequestClient } from './twilio-base-url.request-client.js';
import { ConfigurableTwilioModule, TWILIO_MODULE_OPTIONS } from './twilio.module-definition.js';
import { RESOLVED_TWILIO_OPTIONS, TWILIO_CLIENT } from './twilio.constants.js';
import { resolveTwilioOptions, type ResolvedTwilioOptions } from './twilio.options.js';
import { CallStatusService } from './call-status.service.js';
import { OutboundCallService } from './outbound-call.service.js';
import { TwilioSignatureGuard } from './twilio-signature.guard.js';
import { TwilioSignatureValidator } from './twilio-signature.validator.js';
import { TwimlFactory } from './twiml.factory.js';
import { VoiceCallService } from './voice-call.service.js';
import { VoiceWebhookController } from './voice-webhook.controller.js';

/**
 * Twilio Voice: the signed webhooks (voice, dial-complete, call and stream status), TwiML, and the REST client for
 * outbound calls and live call updates. Needs {@link CallsModule} (global) and {@link RetellModule}.
 */
@Module({
  controllers: [VoiceWebhookController],
  providers: [
    { provide: RESOLVED_TWILIO_OPTIONS, useFactory: resolveTwilioOptions, inject: [TWILIO_MODULE_OPTIONS] },
    {
      provide: TWILIO_CLIENT,
      useFactory: (o: ResolvedTwilioOptions) =>
        twilio(o.accountSid, o.authToken, {
          autoRetry: false,
          ...(o.apiBaseUrl ? { httpClient: new BaseUrlRequestClient(o.apiBaseUrl) } : {}),
        }),
      inject: [RESOLVED_TWILIO_OPTIONS],
    },
    TwilioSignatureValidator,
    TwilioSignatureGuard,
    TwimlFactory,
    VoiceCallService,
    CallStatusService,
    OutboundCallService,
  ],
  exports: [
    RESOLVED_TWILIO_OPTIONS,
    TWILIO_CLIENT,
    TwilioSignatureValidator,
    TwilioSignatureGuard,
    TwimlFactory,
    OutboundCallService,
  ],
})
export class TwilioModule extends ConfigurableTwilioModule {}
