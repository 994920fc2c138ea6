import { Inject, Injectable } from '@nestjs/common';
import twilio from 'twilio';
import type { MediaStreamPlan } from './media-stream-plan.port.js';
import { RESOLVED_TWILIO_OPTIONS, TWILIO_PATHS } from './twilio.constants.js';
import type { ResolvedTwilioOptions } from './twilio.options.js';
import { TwilioSignatureValidator } from './twilio-signature.validator.js';

/** Values the media gateway receives in `start.customParameters` (a stream URL may carry no query string). */
export type StreamParameters = Readonly<Record<string, string>>;

/**
 * Builds the TwiML documents callbridge answers with, through the `twilio` package's builder (escaping included).
 * URLs in TwiML are absolute: the same documents are also sent inline through REST, where relative URLs do not resolve.
 */
@Injectable()
export class TwimlFactory {
  constructor(
    @Inject(RESOLVED_TWILIO_OPTIONS) private readonly options: ResolvedTwilioOptions,
    private readonly urls: TwilioSignatureValidator,
  ) {}

  /**
   * Bridges the caller to a Retell agent over SIP. With a `fork` plan the media gateway first gets both tracks
   * (`<Start><Stream>` runs alongside the `<Dial>` that follows it).
   */
  dialAgent(sipUri: string, plan: MediaStreamPlan, parameters: StreamParameters): string {
    const response = new twilio.twiml.VoiceResponse();
    if (plan.kind === 'fork') {
      const stream = response.start().stream({
        url: this.urls.streamUrl(TWILIO_PATHS.media),
        track: 'both_tracks',
        statusCallback: this.urls.publicUrl(TWILIO_PATHS.streamStatus),
        statusCallbackMethod: 'POST',
      });
      for (const [name, value] of Object.entries(parameters)) stream.parameter({ name, value });
    }
    const dial = response.dial({
      action: this.urls.publicUrl(TWILIO_PATHS.dialComplete),
      method: 'POST',
      answerOnBridge: true,
    });
    dial.sip(sipUri);
    return response.toString();
  }

  /**
   * A `connect` plan (relay mode): a bidirectional stream to the media gateway, which carries the audio to the raw-audio agent. The
   * call stays in `<Connect>` until the gateway closes the socket.
   */
  connectStream(parameters: StreamParameters): string {
    const response = new twilio.twiml.VoiceResponse();
    const stream = response.connect().stream({
      url: this.urls.streamUrl(TWILIO_PATHS.media),
      statusCallback: this.urls.publicUrl(TWILIO_PATHS.streamStatus),
      statusCallbackMethod: 'POST',
    });
    for (const [name, value] of Object.entries(parameters)) stream.parameter({ name, value });
    return response.toString();
  }

  /** The agent is unreachable: say so, then put the caller through to a person when a number is configured. */
  fallback(): string {
    const response = new twilio.twiml.VoiceResponse();
    response.say(this.options.fallbackMessage);
    if (this.options.fallbackNumber) response.dial(this.options.fallbackNumber);
    else response.hangup();
    return response.toString();
  }

  /**
   * Another instance holds the call's registration lease: wait a moment and request the voice webhook again, by which
   * time the holder has registered the call (or sent it to fallback) and the repeat finds the outcome in the store.
   */
  retryVoice(): string {
    const response = new twilio.twiml.VoiceResponse();
    response.pause({ length: 1 });
    response.redirect({ method: 'POST' }, this.urls.publicUrl(TWILIO_PATHS.voice));
    return response.toString();
  }

  hangup(): string {
    const response = new twilio.twiml.VoiceResponse();
    response.hangup();
    return response.toString();
  }
}
