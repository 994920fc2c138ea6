import twilio from 'twilio';
import { describeVerb, parseTwiml } from './twiml-parser.js';

describe(parseTwiml.name, () => {
  it('keeps verb order and reads what the emulator acts on (TwiML built by the twilio package)', () => {
    const vr = new twilio.twiml.VoiceResponse();
    const s = vr.start().stream({
      url: 'wss://callbridge.test/twilio/media',
      track: 'both_tracks',
      statusCallback: 'https://callbridge.test/s',
    });
    s.parameter({ name: 'callSid', value: 'CA1' });
    s.parameter({ name: 'note', value: 'a & b' });
    vr.say('Hello & welcome');
    vr.dial({ action: 'https://callbridge.test/dial', answerOnBridge: true }).sip(
      'sip:call_1@sip.retellai.com;transport=tcp',
    );
    vr.say('after');
    vr.pause({ length: 2 });
    vr.redirect({ method: 'GET' }, '/next');
    vr.hangup();
    const r = parseTwiml(vr.toString());
    if (!r.ok) throw new Error(r.error);
    expect(r.verbs.map((v) => v.verb)).toEqual(['Start', 'Say', 'Dial', 'Say', 'Pause', 'Redirect', 'Hangup']);
    expect(r.verbs[0]).toMatchObject({
      streams: [
        {
          url: 'wss://callbridge.test/twilio/media',
          track: 'both_tracks',
          statusCallback: 'https://callbridge.test/s',
          parameters: { callSid: 'CA1', note: 'a & b' },
        },
      ],
    });
    expect(r.verbs[1]).toMatchObject({ text: 'Hello & welcome' });
    expect(r.verbs[2]).toMatchObject({
      answerOnBridge: true,
      action: 'https://callbridge.test/dial',
      targets: [{ kind: 'sip', uri: 'sip:call_1@sip.retellai.com;transport=tcp' }],
    });
    expect(r.verbs[4]).toMatchObject({ lengthSec: 2 });
    expect(r.verbs[5]).toMatchObject({ url: '/next', method: 'GET' });
    expect(describeVerb(r.verbs[2]!)).toContain('answerOnBridge');
  });

  it('reads <Connect><Stream>, a bare <Dial> number and <Dial><Number>', () => {
    const r = parseTwiml(
      '<Response><Connect action="/after"><Stream url="wss://x/m"><Parameter name="a" value="1"/></Stream></Connect><Dial>+15551234567</Dial><Dial><Number>+15557654321</Number></Dial><Gather/></Response>',
    );
    if (!r.ok) throw new Error(r.error);
    expect(r.verbs[0]).toMatchObject({
      verb: 'Connect',
      action: '/after',
      stream: { url: 'wss://x/m', parameters: { a: '1' }, track: 'inbound_track' },
    });
    expect(r.verbs[1]).toMatchObject({ verb: 'Dial', targets: [{ kind: 'number', number: '+15551234567' }] });
    expect(r.verbs[2]).toMatchObject({ verb: 'Dial', targets: [{ kind: 'number', number: '+15557654321' }] });
    expect(r.verbs[3]).toMatchObject({ verb: 'Unsupported', name: 'Gather' });
  });

  it('reports documents Twilio cannot parse (error 12100)', () => {
    expect(parseTwiml('')).toMatchObject({ ok: false });
    expect(parseTwiml('<Hello/>')).toEqual({ ok: false, error: 'no <Response> root element' });
    expect(parseTwiml('{"json":true}').ok).toBe(false);
  });
});
