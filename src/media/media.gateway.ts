import { Inject, Logger, UseFilters } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import { MetricsService } from '../metrics/metrics.service.js';
import { parseTwilioFrame } from '../protocol/twilio-media.js';
import { TWILIO_PATHS } from '../twilio/twilio.constants.js';
import { TwilioSignatureValidator } from '../twilio/twilio-signature.validator.js';
import { CLOSE_CODES, RESOLVED_MEDIA_OPTIONS } from './media.constants.js';
import { MediaExceptionFilter } from './media-exception.filter.js';
import type { ResolvedMediaOptions } from './media.options.js';
import type { MediaSession } from './session/media-session.js';
import { MediaSessionFactory } from './session/media-session.factory.js';
import { MediaSessionRegistry } from './session/media-session.registry.js';
import { toFrameInput } from './twilio-frame.parser.js';

/**
 * `/twilio/media`: Twilio Media Streams. Authenticates each upgrade in `handleConnection` (guards do not run there)
 * against the signed `wss://` URL, then routes typed frames to the socket's session. Holds no per-call state.
 *
 * The decorator's options are fixed at compile time; the per-message cap (`maxSocketPayloadBytes`) is an option of the
 * module, so it is set on the `ws` server in {@link afterInit}, before any socket connects.
 */
@WebSocketGateway({ path: TWILIO_PATHS.media, perMessageDeflate: false })
@UseFilters(MediaExceptionFilter)
export class MediaGateway implements OnGatewayInit<WebSocketServer>, OnGatewayConnection {
  private readonly logger = new Logger(MediaGateway.name);

  constructor(
    private readonly validator: TwilioSignatureValidator,
    private readonly sessions: MediaSessionRegistry,
    private readonly factory: MediaSessionFactory,
    private readonly metrics: MetricsService,
    private readonly errors: MediaExceptionFilter,
    @Inject(RESOLVED_MEDIA_OPTIONS) private readonly options: ResolvedMediaOptions,
  ) {}

  /**
   * `ws` reads `maxPayload` from its server's options for each socket it accepts: past it a message closes the
   * socket (1009) before it is buffered.
   */
  afterInit(server: WebSocketServer): void {
    server.options.maxPayload = this.options.maxSocketPayloadBytes;
  }

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
    const session = this.factory.create(client);
    this.sessions.add(client, session);
    client.on('message', (data: RawData) => this.dispatch(client, session, data));
    // The close code tells a hang-up from a network failure; Nest's handleDisconnect does not pass it.
    client.once('close', (code: number) => this.sessions.remove(client)?.socketClosed(code));
  }

  /**
   * Parses each message once and hands it to the socket's session synchronously. Media frames bypass Nest's
   * per-message handler proxy on purpose: at 50 frames a second per track, its promises, pipe and parameter resolution
   * and async-context hooks cost a fifth of the process's CPU at 150 calls (`npm run bench -- --profile`). A session
   * never throws by contract; if one does, the error goes to the same filter as a Nest handler's would.
   */
  private dispatch(client: WebSocket, session: MediaSession, data: RawData): void {
    const parsed = parseTwilioFrame(toFrameInput(data));
    try {
      if (parsed.ok) session.receive(parsed.frame);
      else session.rejected(parsed.reason);
    } catch (err) {
      this.errors.report(err, client);
    }
  }
}
