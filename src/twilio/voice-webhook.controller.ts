import { Body, Controller, Header, HttpCode, Post, UseGuards } from '@nestjs/common';
import type { TwilioParams } from '../protocol/twilio-webhooks.js';
import { CallStatusService } from './call-status.service.js';
import { TwilioSignatureGuard } from './twilio-signature.guard.js';
import { VoiceCallService } from './voice-call.service.js';

/** Twilio's webhooks for a call. Every route is signature-checked before anything runs. */
@Controller('twilio')
@UseGuards(TwilioSignatureGuard)
export class VoiceWebhookController {
  constructor(
    private readonly voice: VoiceCallService,
    private readonly status: CallStatusService,
  ) {}

  /** The number's (or outbound call's) voice URL: registers the call with Retell and answers TwiML. */
  @Post('voice')
  @HttpCode(200)
  @Header('Content-Type', 'text/xml')
  answer(@Body() params: TwilioParams): Promise<string> {
    return this.voice.answer(params);
  }

  /** `<Dial action>`: the agent leg ended. */
  @Post('dial-complete')
  @HttpCode(200)
  @Header('Content-Type', 'text/xml')
  dialComplete(@Body() params: TwilioParams): Promise<string> {
    return this.voice.dialComplete(params);
  }

  /** Call status callbacks. */
  @Post('status')
  @HttpCode(204)
  async callStatus(@Body() params: TwilioParams): Promise<void> {
    await this.status.apply(params);
  }

  /** Media stream status callbacks. */
  @Post('stream-status')
  @HttpCode(204)
  async streamStatus(@Body() params: TwilioParams): Promise<void> {
    await this.status.applyStreamStatus(params);
  }
}
