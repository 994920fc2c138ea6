import { MAX_TWILIO_FRAME_BYTES, base64MulawDurationMs, parseServerFrame, parseTwilioFrame } from './twilio-media.js';

const media = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    event: 'media',
    sequenceNumber: '3',
    media: { track: 'inbound', chunk: '1', timestamp: '160', payload: '//8=' },
    streamSid: 'MZ1',
    ...over,
  });

describe(parseTwilioFrame.name, () => {
  it('turns the wire strings into numbers once', () => {
    const r = parseTwilioFrame(media());
    expect(r).toEqual({
      ok: true,
      frame: {
        event: 'media',
        sequenceNumber: 3,
        streamSid: 'MZ1',
        media: { track: 'inbound', chunk: 1, timestamp: 160, payload: '//8=' },
      },
    });
  });

  it('parses start with its custom parameters and tracks', () => {
    const r = parseTwilioFrame(
      JSON.stringify({
        event: 'start',
        sequenceNumber: '1',
        streamSid: 'MZ1',
        start: {
          accountSid: 'AC1',
          streamSid: 'MZ1',
          callSid: 'CA1',
          tracks: ['inbound', 'outbound'],
          customParameters: { callSid: 'CA1', n: 5 },
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      }),
    );
    expect(r.ok && r.frame.event === 'start' && r.frame.start).toMatchObject({
      callSid: 'CA1',
      tracks: ['inbound', 'outbound'],
      customParameters: { callSid: 'CA1' },
    });
  });

  it.each([
    ['not JSON', '{"event":', 'not_json'],
    ['an array', '[1,2]', 'invalid'],
    ['an unknown event', JSON.stringify({ event: 'hello', sequenceNumber: '1', streamSid: 'MZ' }), 'unknown_event'],
    ['a bad track', media({ media: { track: 'both', chunk: '1', timestamp: '0', payload: '' } }), 'invalid'],
    [
      'a negative timestamp',
      media({ media: { track: 'inbound', chunk: '1', timestamp: '-20', payload: '' } }),
      'invalid',
    ],
    ['no sequence number', media({ sequenceNumber: undefined }), 'invalid'],
    ['no stream sid', media({ streamSid: 7 }), 'invalid'],
  ])('rejects %s without throwing', (_what, frame, reason) => {
    const r = parseTwilioFrame(frame);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toBe(reason);
  });

  it('refuses oversized frames before parsing them', () => {
    const big = media({
      media: { track: 'inbound', chunk: '1', timestamp: '0', payload: 'A'.repeat(MAX_TWILIO_FRAME_BYTES) },
    });
    const r = parseTwilioFrame(big);
    expect(!r.ok && r.reason).toBe('oversized');
  });
});

describe(parseServerFrame.name, () => {
  it('parses what a stream server sends', () => {
    expect(parseServerFrame('{"event":"clear","streamSid":"MZ1"}')).toEqual({
      ok: true,
      frame: { event: 'clear', streamSid: 'MZ1' },
    });
    expect(parseServerFrame('{"event":"mark","streamSid":"MZ1","mark":{"name":"m1"}}').ok).toBe(true);
    expect(parseServerFrame('{"event":"media","streamSid":"MZ1","media":{}}').ok).toBe(false);
  });
});

describe(base64MulawDurationMs.name, () => {
  it('derives duration from the payload length', () => {
    expect(base64MulawDurationMs(Buffer.alloc(160).toString('base64'))).toBe(20);
    expect(base64MulawDurationMs(Buffer.alloc(161).toString('base64'))).toBe(20.125);
  });
});
