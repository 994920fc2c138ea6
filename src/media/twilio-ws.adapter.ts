import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { twilioFrameParser } from './twilio-frame.parser.js';

/** The `ws` adapter with the Twilio Media Streams frame parser: `app.useWebSocketAdapter(createTwilioWsAdapter(app))`. */
export function createTwilioWsAdapter(app: INestApplicationContext): WsAdapter {
  return new WsAdapter(app, { messageParser: twilioFrameParser });
}
