/**
 * Sends what Retell sends to an app: webhooks and custom-function calls, JSON bodies signed with the real algorithm
 * (retell-sdk's own `sign`: `x-retell-signature: v=<ms>,d=<hex HMAC-SHA256(apiKey, body + v)>`). For negative
 * tests it can sign with the wrong key, with a stale timestamp, or not at all.
 */
import { sign } from 'retell-sdk';
import { symmetric } from 'retell-sdk/lib/webhook_auth';
import { sendHttp } from './emulator-http.js';
import type { PublicUrlMap } from './public-url-map.js';
import type { WebhookPurpose } from './timeline.js';

/** How to sign one delivery. `stale`: valid HMAC with a timestamp 10 minutes old (verify must reject it). */
export type RetellSignatureMode = 'valid' | 'wrong' | 'stale' | 'none';

/** One HTTP delivery attempt. */
export interface RetellDelivery {
  readonly purpose: Extract<WebhookPurpose, 'retell-webhook' | 'retell-function' | 'custom'>;
  /** The URL as configured (public). */
  readonly url: string;
  readonly event?: string;
  readonly callId?: string;
  /** 1 for the first try, 2+ for retries and resends. */
  readonly attempt: number;
  readonly signature: RetellSignatureMode;
  readonly body: string;
  /** The `x-retell-signature` header sent. */
  readonly signatureHeader?: string;
  /** Epoch ms. */
  readonly sentAt: number;
  status?: number;
  responseBody?: string;
  ms?: number;
  error?: string;
}

/** Options of {@link RetellWebhookSender}. */
export interface RetellWebhookSenderOptions {
  readonly apiKey: string;
  readonly urlMap?: PublicUrlMap;
  /** Retell waits 10 s for an answer. */
  readonly timeoutMs?: number;
  /** Aborts in-flight requests on emulator shutdown. */
  readonly signal?: AbortSignal;
}

export class RetellWebhookSender {
  constructor(private readonly options: RetellWebhookSenderOptions) {}

  /** The `x-retell-signature` header value for `body`, or undefined for `none`. */
  async signatureFor(body: string, mode: RetellSignatureMode): Promise<string | undefined> {
    switch (mode) {
      case 'valid':
        return sign(body, this.options.apiKey);
      case 'wrong':
        return sign(body, this.options.apiKey + '-wrong');
      case 'stale':
        return symmetric.sign(body, this.options.apiKey, Date.now() - 10 * 60_000);
      case 'none':
        return undefined;
    }
  }

  /** POSTs `body` (already serialised: the signature covers these exact bytes). Never throws. */
  async post(
    url: string,
    body: string,
    meta: Pick<RetellDelivery, 'purpose' | 'event' | 'callId' | 'attempt' | 'signature'>,
    timeoutMs = this.options.timeoutMs ?? 10_000,
  ): Promise<RetellDelivery> {
    const signatureHeader = await this.signatureFor(body, meta.signature);
    const delivery: RetellDelivery = { ...meta, url, body, signatureHeader, sentAt: Date.now() };
    try {
      const res = await sendHttp({
        method: 'POST',
        url: this.options.urlMap?.toReal(url) ?? url,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'retell-emulator',
          ...(signatureHeader ? { 'x-retell-signature': signatureHeader } : {}),
        },
        body,
        timeoutMs,
        signal: this.options.signal,
      });
      delivery.status = res.status;
      delivery.responseBody = res.body;
      delivery.ms = res.ms;
    } catch (err) {
      delivery.error = (err as Error).message;
      delivery.ms = Date.now() - delivery.sentAt;
    }
    return delivery;
  }
}
