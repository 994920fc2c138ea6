import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';

/** Origin every `twilio` SDK domain is requested at (`api`, and the regional/edge forms). */
const TWILIO_ORIGIN = /^https:\/\/[a-z0-9.-]*twilio\.com/i;

/**
 * A `twilio` RequestClient that sends every REST call to another base URL: a regional edge, a proxy, or a local
 * emulator in tests. The SDK builds `https://api.twilio.com/2010-04-01/...`; only the origin is replaced, so paths,
 * auth and bodies stay exactly what the SDK sends.
 */
export class BaseUrlRequestClient extends twilio.RequestClient {
  private readonly baseUrl: string;

  constructor(baseUrl: string, opts?: ConstructorParameters<typeof twilio.RequestClient>[0]) {
    super(opts);
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    return super.request<TData>({ ...opts, uri: opts.uri.replace(TWILIO_ORIGIN, this.baseUrl) });
  }
}
