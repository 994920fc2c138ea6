import { createHash } from 'node:crypto';
import twilio from 'twilio';
import { resolveTwilioOptions } from './twilio.options.js';
import { TwilioSignatureValidator } from './twilio-signature.validator.js';

const authToken = 'auth-token-0123456789';
const options = resolveTwilioOptions({
  accountSid: 'AC' + '1'.repeat(32),
  authToken,
  publicUrl: 'https://cb.example.com',
});
const validator = new TwilioSignatureValidator(options);
const params = { CallSid: 'CA1', From: '+15550001', To: '+15550002' };
const sign = (url: string, p: Record<string, string> = params) => twilio.getExpectedTwilioSignature(authToken, url, p);

describe(TwilioSignatureValidator.name, () => {
  it('validates against the public URL, not the host the request came in on', () => {
    const signature = sign('https://cb.example.com/twilio/voice');
    expect(
      validator.validateHttp({
        url: '/twilio/voice',
        headers: { 'x-twilio-signature': signature, host: '10.0.0.5' },
        params,
      }),
    ).toBe(true);
    expect(
      validator.validateHttp({
        url: '/twilio/voice',
        headers: { 'x-twilio-signature': sign('http://10.0.0.5/twilio/voice') },
        params,
      }),
    ).toBe(false);
  });

  it('rejects a missing signature, a changed parameter and a changed path', () => {
    const signature = sign('https://cb.example.com/twilio/voice');
    expect(validator.validateHttp({ url: '/twilio/voice', headers: {}, params })).toBe(false);
    expect(
      validator.validateHttp({
        url: '/twilio/voice',
        headers: { 'x-twilio-signature': signature },
        params: { ...params, To: '+1999' },
      }),
    ).toBe(false);
    expect(
      validator.validateHttp({ url: '/twilio/status', headers: { 'x-twilio-signature': signature }, params }),
    ).toBe(false);
  });

  it('validates JSON bodies through bodySHA256', () => {
    const body = '{"hello":"world"}';
    const hash = createHash('sha256').update(body).digest('hex');
    const url = `/twilio/voice?bodySHA256=${hash}`;
    const signature = twilio.getExpectedTwilioSignature(authToken, `https://cb.example.com${url}`, {});
    const ok = { url, headers: { 'x-twilio-signature': signature }, params: {}, rawBody: Buffer.from(body) };
    expect(validator.validateHttp(ok)).toBe(true);
    expect(validator.validateHttp({ ...ok, rawBody: Buffer.from('{"hello":"mallory"}') })).toBe(false);
  });

  it('validates a stream upgrade against the wss:// URL written in the TwiML', () => {
    const streamUrl = validator.streamUrl('/twilio/media');
    expect(streamUrl).toBe('wss://cb.example.com/twilio/media');
    const signature = twilio.getExpectedTwilioSignature(authToken, streamUrl, {});
    expect(validator.validateUpgrade({ url: '/twilio/media', headers: { 'x-twilio-signature': signature } })).toBe(
      true,
    );
    expect(validator.validateUpgrade({ url: '/twilio/media', headers: {} })).toBe(false);
    const httpsSigned = twilio.getExpectedTwilioSignature(authToken, 'https://cb.example.com/twilio/media', {});
    expect(validator.validateUpgrade({ url: '/twilio/media', headers: { 'x-twilio-signature': httpsSigned } })).toBe(
      false,
    );
  });
});
