import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import type { RawData, WebSocket } from 'ws';
import { twilioFrameParser } from './twilio-frame.parser.js';

/**
 * `WsAdapter` for Twilio Media Streams: the Twilio frame parser for `@SubscribeMessage` handlers, and a
 * synchronous per-socket dispatch.
 *
 * Why not the stock dispatch: it routes every message through rxjs (`fromEvent` → `mergeMap` → an inner observable,
 * `filter`, `catchError`, `fromPromise(pickResult)`), several allocations and promises per frame; a call sends 50
 * frames a second per track. Here one `message` listener parses the frame and calls the handler (still through Nest's
 * handler proxy, so exception filters, pipes and interceptors apply); a non-empty result is sent back as JSON, as the
 * stock adapter does. {@link MediaGateway} itself registers no handlers: it dispatches frames to sessions directly.
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
    // The media gateway reads its sockets itself; a gateway with no message handlers gets no listener at all.
    if (handlers.length === 0) return;
    const byEvent = new Map(handlers.map((h) => [h.message as string, h]));
    const reply = (response: unknown): void => {
      if (response !== undefined && response !== null && client.readyState === client.OPEN) {
        client.send(JSON.stringify(response));
      }
    };
    const failed = (err: unknown): void => this.logger.error(err);
    client.on('message', (data: RawData) => {
      const message = this.messageParser(data);
      if (!message) return;
      const handler = byEvent.get(message.event);
      if (!handler) return;
      let result: unknown;
      try {
        result = handler.callback(message.data, message.event);
      } catch (err) {
        // Nest's proxy catches handler errors into the filters; a throw here is a proxy or filter bug.
        failed(err);
        return;
      }
      if (result instanceof Promise) {
        result.then((value: unknown) => {
          // A handler that returns an observable or a promise of one keeps the stock semantics.
          if (value !== undefined && value !== null && typeof value === 'object' && 'subscribe' in value) {
            transform(value).subscribe({ next: reply, error: failed });
          } else reply(value);
        }, failed);
      } else reply(result);
    });
  }
}

/** The adapter to install: `app.useWebSocketAdapter(createTwilioWsAdapter(app))`. */
export function createTwilioWsAdapter(app: INestApplicationContext): WsAdapter {
  return new TwilioWsAdapter(app);
}
