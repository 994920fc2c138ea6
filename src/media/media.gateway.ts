import { Inject, Logger, UseFilters } from '@nestjs/common';
import {
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
} from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { MetricsService } from '../metrics/metrics.service.js';
import type { ParsedTwilioFrame, TwilioInboundFrame } from '../protocol/twilio-media.js';
import { TWILIO_PATHS } from '../twilio/twilio.constants.js';
import { TwilioSignatureValidator } from '../twilio/twilio-signature.validator.js';
import { CLOSE_CODES, REJECTED_FRAME, RESOLVED_MEDIA_OPTIONS } from './media.constants.js';
import { MediaExceptionFilter } from './media-exception.filter.js';
import type { ResolvedMediaOptions } from './media.options.js';
import { MediaSessionFactory } from './session/media-session.factory.js';
import { MediaSessionRegistry } from './session/media-session.registry.js';

/** Hard cap on one WebSocket message, enforced by `ws` before buffering: past it the socket closes with 1009. */
export const MAX_SOCKET_PAYLOAD_BYTES = 1024 * 1024;

/**
 * `/twilio/media`: Twilio Media Streams. Authenticates each upgrade in `handleConnection` (guards do not run there)
 * against the signed `wss://` URL, then routes typed frames to the socket's session. Holds no per-call state.
 */
@WebSocketGateway({ path: TWILIO_PATHS.media, maxPayload: MAX_SOCKET_PAYLOAD_BYTES, perMessageDeflate: false })
@UseFilters(MediaExceptionFilter)
export class MediaGateway implements OnGatewayConnection {
  private readonly logger = new Logger(MediaGateway.name);

  constructor(
    private readonly validator: TwilioSignatureValidator,
    private readonly sessions: MediaSessionRegistry,
    private readonly factory: MediaSessionFactory,
    private readonly metrics: MetricsService,
    @Inject(RESOLVED_MEDIA_OPTIONS) private readonly options: ResolvedMediaOptions,
  ) {}

  handleConnection(client: WebSocket, req: IncomingMessage): void {
    if (!this.validator.validateUpgrade(req)) {
      this.metrics.signatureRejections.inc({ source: 'media' });
      this.metrics.mediaSocketsClosed.inc({ reason: 'invalid_signature' });
      this.logger.warn({ msg: 'media stream refused: bad or missing signature', remote: req.socket.remoteAddress });
      client.close(CLOSE_CODES.policyViolation, 'invalid signature');
      return;
    }
    if (this.options.mode === 'off') {
      this.metrics.mediaSocketsClosed.inc({ reason: 'media_off' });
      client.close(CLOSE_CODES.policyViolation, 'media streams are disabled');
      return;
    }
    this.sessions.add(client, this.factory.create(client));
    // The close code tells a hang-up from a network failure; Nest's handleDisconnect does not pass it.
    client.once('close', (code: number) => this.sessions.remove(client)?.socketClosed(code));
  }

  @SubscribeMessage('connected')
  connected(client: WebSocket, frame: TwilioInboundFrame): void {
    this.sessions.get(client)?.receive(frame);
  }

  @SubscribeMessage('start')
  start(client: WebSocket, frame: TwilioInboundFrame): void {
    this.sessions.get(client)?.receive(frame);
  }

  @SubscribeMessage('media')
  media(client: WebSocket, frame: TwilioInboundFrame): void {
    this.sessions.get(client)?.receive(frame);
  }

  @SubscribeMessage('mark')
  mark(client: WebSocket, frame: TwilioInboundFrame): void {
    this.sessions.get(client)?.receive(frame);
  }

  @SubscribeMessage('dtmf')
  dtmf(client: WebSocket, frame: TwilioInboundFrame): void {
    this.sessions.get(client)?.receive(frame);
  }

  @SubscribeMessage('stop')
  stop(client: WebSocket, frame: TwilioInboundFrame): void {
    this.sessions.get(client)?.receive(frame);
  }

  @SubscribeMessage(REJECTED_FRAME)
  rejected(client: WebSocket, result: ParsedTwilioFrame): void {
    if (!result.ok) this.sessions.get(client)?.rejected(result.reason);
  }
}
