import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import type { WebSocket } from 'ws';
import { twilioFrameParser } from './twilio-frame.parser.js';

/**
 * `WsAdapter` for Twilio Media Streams: the Twilio frame parser for `@SubscribeMessage` handlers. A gateway with no
 * message handlers gets no message listener: {@link MediaGateway} reads its sockets itself (parsing once and handing
 * frames to sessions synchronously), and the stock adapter would otherwise parse every frame a second time for
 * nobody, through its per-message rxjs pipeline.
 */
export class TwilioWsAdapter extends WsAdapter {
  constructor(app: INestApplicationContext) {
    super(app, { messageParser: twilioFrameParser });
  }

  override bindMessageHandlers(
    client: WebSocket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    if (handlers.length === 0) return;
    super.bindMessageHandlers(client, handlers, transform);
  }
}

/** The adapter to install: `app.useWebSocketAdapter(createTwilioWsAdapter(app))`. */
export function createTwilioWsAdapter(app: INestApplicationContext): WsAdapter {
  return new TwilioWsAdapter(app);
}
