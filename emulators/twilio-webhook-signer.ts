/**
 * Signs requests the way Twilio does, through the `twilio` package itself (`getExpectedTwilioSignature`), so the app
 * is tested against the real algorithm rather than a re-implementation: HMAC over the full public URL plus every POST
 * parameter sorted by name. HMAC-SHA1 with the Auth Token by default; HMAC-SHA256 with a SharedKey when configured
 * (then the `X-Twilio-Webhooks-Signature-Settings` header names the algorithm).
 */
import twilio from 'twilio';

/** How webhooks are signed. */
export type TwilioSigning =
  | { readonly algorithm: 'HMAC_SHA1' }
  | { readonly algorithm: 'HMAC_SHA256'; readonly keySid: string; readonly secret: string };

/** How a test wants one request signed. */
export type SignatureMode = 'valid' | 'wrong' | 'none';

export class TwilioWebhookSigner {
  constructor(
    private readonly authToken: string,
    private readonly signing: TwilioSigning = { algorithm: 'HMAC_SHA1' },
  ) {}

  /** The signature of `url` (public, with query string) and the form params (`{}` for upgrades and JSON bodies). */
  signature(url: string, params: Readonly<Record<string, string | readonly string[]>>): string {
    const key = this.signing.algorithm === 'HMAC_SHA256' ? this.signing.secret : this.authToken;
    return twilio.getExpectedTwilioSignature(key, url, params as Record<string, string>, this.signing.algorithm);
  }

  /**
   * Headers to send: `valid` signs properly, `wrong` signs with another key (same shape, wrong value), `none` sends no
   * signature. `lowercase` for the WebSocket upgrade, where Twilio sends `x-twilio-signature`.
   */
  headers(
    url: string,
    params: Readonly<Record<string, string | readonly string[]>>,
    mode: SignatureMode = 'valid',
    lowercase = false,
  ): Record<string, string> {
    if (mode === 'none') return {};
    const sig =
      mode === 'valid'
        ? this.signature(url, params)
        : twilio.getExpectedTwilioSignature(
            'not-the-auth-token',
            url,
            params as Record<string, string>,
            this.signing.algorithm,
          );
    const out: Record<string, string> = { [lowercase ? 'x-twilio-signature' : 'X-Twilio-Signature']: sig };
    if (this.signing.algorithm === 'HMAC_SHA256') {
      out[lowercase ? 'x-twilio-webhooks-signature-settings' : 'X-Twilio-Webhooks-Signature-Settings'] =
        `key=${this.signing.keySid},algorithm=HMAC_SHA256`;
    }
    return out;
  }
}
