import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import twilio from 'twilio';
// Not re-exported at the package root; the file is public API of the package (see its d.ts).
import { getSignatureAlgorithm } from 'twilio/lib/webhooks/webhooks.js';
import {
  RESOLVED_TWILIO_OPTIONS,
  TWILIO_SIGNATURE_HEADER,
  TWILIO_SIGNATURE_SETTINGS_HEADER,
} from './twilio.constants.js';
import type { ResolvedTwilioOptions } from './twilio.options.js';

/** The parts of a request signature validation needs. */
export interface SignedHttpRequest {
  /** Path and query as received, e.g. `/twilio/voice?x=1`. */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  /** Parsed form body (every parameter Twilio sent). */
  readonly params: Record<string, unknown>;
  readonly rawBody?: Buffer;
}

/**
 * Validates `X-Twilio-Signature` with the `twilio` package (HMAC over URL + sorted params, compared in constant time).
 * The URL is rebuilt from the configured public URL, never from Host or `req.protocol`, which a TLS proxy rewrites.
 */
@Injectable()
export class TwilioSignatureValidator {
  constructor(@Inject(RESOLVED_TWILIO_OPTIONS) protected readonly options: ResolvedTwilioOptions) {}

  /** The public URL of a path on this service. */
  publicUrl(path: string): string {
    return this.options.publicUrl + path;
  }

  /** The `wss://` (or `ws://` for an `http` public URL) URL of a WebSocket path, exactly as written in TwiML. */
  streamUrl(path: string): string {
    return this.publicUrl(path).replace(/^http/i, 'ws');
  }

  /** A webhook: form bodies sign their params; JSON bodies carry `bodySHA256` in the URL and sign `{}`. */
  validateHttp(req: SignedHttpRequest): boolean {
    const signature = header(req.headers, TWILIO_SIGNATURE_HEADER);
    if (!signature) return false;
    const url = this.publicUrl(req.url);
    const algorithm = getSignatureAlgorithm(header(req.headers, TWILIO_SIGNATURE_SETTINGS_HEADER));
    if (url.includes('bodySHA256=')) {
      if (!req.rawBody) return false;
      return twilio.validateRequestWithBody(
        this.options.authToken,
        signature,
        url,
        req.rawBody.toString('utf8'),
        algorithm,
      );
    }
    return twilio.validateRequest(
      this.options.authToken,
      signature,
      url,
      req.params as Record<string, string>,
      algorithm,
    );
  }

  /**
   * A Media Streams WebSocket upgrade: Twilio signs the `wss://` URL as written in the TwiML, with no params.
   * The server sees the path only; the scheme and host come from the public URL.
   */
  validateUpgrade(req: Pick<IncomingMessage, 'url' | 'headers'>): boolean {
    const signature = header(req.headers, TWILIO_SIGNATURE_HEADER);
    if (!signature || !req.url) return false;
    return twilio.validateRequest(this.options.authToken, signature, this.streamUrl(req.url), {});
  }
}

function header(headers: IncomingMessage['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
