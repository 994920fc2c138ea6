/**
 * Sends a request as Twilio does: signed over the public URL as configured, sent to the app's real address.
 */
import { randomUUID } from 'node:crypto';
import { encodeForm, sendHttp, type HttpResult } from './emulator-http.js';
import type { CallEnvironment } from './twilio-call.types.js';
import type { SignatureMode } from './twilio-webhook-signer.js';

/** A request Twilio sends (webhook), signed over the public URL and sent to the real address. */
export interface TwilioRequestSpec {
  readonly method: 'GET' | 'POST';
  /** Public URL (what is signed). */
  readonly url: string;
  readonly params: Readonly<Record<string, string>>;
  readonly signature: SignatureMode;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Sends a Twilio-style request. GET carries the params in the query string (signed as part of the URL). */
export async function sendTwilioRequest(
  env: Pick<CallEnvironment, 'signer' | 'urlMap' | 'webhookTimeoutMs' | 'signal'>,
  spec: TwilioRequestSpec,
): Promise<HttpResult | { readonly error: string }> {
  let url = spec.url;
  let body: string | undefined;
  let signed: Record<string, string>;
  if (spec.method === 'GET') {
    const qs = new URLSearchParams(spec.params).toString();
    url = qs ? `${url}${url.includes('?') ? '&' : '?'}${qs}` : url;
    signed = env.signer.headers(url, {}, spec.signature);
  } else {
    body = encodeForm(spec.params);
    signed = env.signer.headers(url, spec.params, spec.signature);
  }
  try {
    return await sendHttp({
      method: spec.method,
      url: env.urlMap.toReal(url),
      headers: {
        'user-agent': 'TwilioProxy/1.1',
        accept: '*/*',
        'i-twilio-idempotency-token': randomUUID(),
        ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...signed,
        ...spec.headers,
      },
      body,
      timeoutMs: env.webhookTimeoutMs,
      signal: env.signal,
    });
  } catch (err) {
    return { error: (err as Error).message };
  }
}
