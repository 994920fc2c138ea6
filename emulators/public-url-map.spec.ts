import { PublicUrlMap } from './public-url-map.js';

describe(PublicUrlMap.name, () => {
  const map = new PublicUrlMap([{ publicUrl: 'https://callbridge.test/', appUrl: 'http://127.0.0.1:41234' }]);

  it('maps http(s) and ws(s) URLs under the public URL to the real address', () => {
    expect(map.toReal('https://callbridge.test/twilio/voice?x=1')).toBe('http://127.0.0.1:41234/twilio/voice?x=1');
    expect(map.toReal('https://CallBridge.test/twilio/voice')).toBe('http://127.0.0.1:41234/twilio/voice');
    expect(map.toReal('wss://callbridge.test/twilio/media')).toBe('ws://127.0.0.1:41234/twilio/media');
    expect(map.toReal('https://callbridge.test')).toBe('http://127.0.0.1:41234');
  });

  it('leaves other URLs alone, including look-alike hosts', () => {
    expect(map.toReal('https://callbridge.test.evil.com/x')).toBe('https://callbridge.test.evil.com/x');
    expect(map.toReal('http://callbridge.test/x')).toBe('http://callbridge.test/x');
    expect(map.toReal('https://api.twilio.com/x')).toBe('https://api.twilio.com/x');
  });

  it('honours a base path', () => {
    const m = new PublicUrlMap([{ publicUrl: 'https://example.com/cb', appUrl: 'http://127.0.0.1:1' }]);
    expect(m.toReal('https://example.com/cb/twilio/voice')).toBe('http://127.0.0.1:1/twilio/voice');
    expect(m.toReal('https://example.com/cbx/twilio/voice')).toBe('https://example.com/cbx/twilio/voice');
  });
});
