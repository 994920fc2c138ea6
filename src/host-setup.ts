import type { NestApplicationOptions } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createTwilioWsAdapter } from './media/twilio-ws.adapter.js';

/**
 * The `NestFactory.create` options callbridge's routes need: the raw request body, on which Twilio and Retell
 * signatures are checked. Spread them into your own: `NestFactory.create(AppModule, { ...CALLBRIDGE_NEST_OPTIONS })`.
 */
export const CALLBRIDGE_NEST_OPTIONS = { rawBody: true } as const satisfies NestApplicationOptions;

/**
 * Everything else a host app does for callbridge, once, before `listen`: the Twilio Media Streams WebSocket adapter
 * (`ws`, with the Twilio frame parser; it becomes the app's WebSocket adapter, so gateways of your own must be `ws`
 * gateways too) and body limits sized for Twilio's forms. The app must have been created with
 * {@link CALLBRIDGE_NEST_OPTIONS}.
 */
export function setupCallbridge(app: NestExpressApplication): void {
  app.useWebSocketAdapter(createTwilioWsAdapter(app));
  // Twilio posts small forms; nothing legitimate is large.
  app.useBodyParser('urlencoded', { extended: false, limit: '64kb' });
  app.useBodyParser('json', { limit: '1mb' });
}
