import Retell from 'retell-sdk';
import twilio from 'twilio';
import { BaseUrlRequestClient } from '../src/twilio/twilio-base-url.request-client.js';
import { startEmulatorStack } from './emulator-stack.js';

describe(startEmulatorStack.name, () => {
  it('boots Retell, Twilio and the agent, hands out the app settings, and closes everything', async () => {
    const stack = await startEmulatorStack({ publicUrl: 'https://callbridge.test/', agent: { mode: 'echo' } });
    try {
      expect(stack.env).toMatchObject({
        PUBLIC_URL: 'https://callbridge.test',
        TWILIO_API_BASE_URL: stack.twilio.baseUrl,
        RETELL_BASE_URL: stack.retell.baseUrl,
        RETELL_SIP_DOMAIN: 'sip.retellai.com',
        AGENT_STREAM_URL: `${stack.agent!.url}/agent`,
      });
      const retell = new Retell({
        apiKey: stack.env.RETELL_API_KEY!,
        baseURL: stack.env.RETELL_BASE_URL!,
        maxRetries: 0,
      });
      await expect(retell.call.registerPhoneCall({ agent_id: stack.env.RETELL_AGENT_ID! })).resolves.toMatchObject({
        call_status: 'registered',
      });
      const tw = twilio(stack.env.TWILIO_ACCOUNT_SID, stack.env.TWILIO_AUTH_TOKEN, {
        httpClient: new BaseUrlRequestClient(stack.env.TWILIO_API_BASE_URL!),
      });
      await expect(tw.calls('CA' + '0'.repeat(32)).fetch()).rejects.toMatchObject({ code: 20404 });
      stack.attachApp('http://127.0.0.1:1');
      expect(stack.twilio.urlMap.toReal('wss://callbridge.test/twilio/media')).toBe('ws://127.0.0.1:1/twilio/media');
      expect(stack.retell.urlMap.toReal('https://callbridge.test/retell/webhook')).toBe(
        'http://127.0.0.1:1/retell/webhook',
      );
    } finally {
      await stack.close();
    }
  });
});
