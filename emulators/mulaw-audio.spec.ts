import {
  clipDurationMs,
  frameDbfs,
  loadClip,
  mulawToLinear,
  readStamp,
  stampFrame,
  TrackAudio,
} from './mulaw-audio.js';
import { resolveScript } from './twilio-call-script.js';

describe(TrackAudio.name, () => {
  it('places clips at their start times, silence elsewhere, later clips on top', () => {
    const track = new TrackAudio([
      { clip: new Uint8Array(240).fill(1), atMs: 10 },
      { clip: new Uint8Array(80).fill(2), atMs: 20 },
    ]);
    expect(track.endMs).toBe(40);
    const f0 = track.frame(0);
    expect(f0.byteLength).toBe(160);
    expect([f0[0], f0[79], f0[80], f0[159]]).toEqual([0xff, 0xff, 1, 1]);
    const f1 = track.frame(1);
    expect([f1[0], f1[79], f1[80], f1[159]]).toEqual([2, 2, 1, 1]);
    expect(track.frame(2)[0]).toBe(0xff);
  });

  it('reads the shipped WAV clips', () => {
    const clip = loadClip('s1_clean');
    expect(clip.byteLength).toBeGreaterThan(8000);
    expect(clipDurationMs('s1_clean.wav')).toBe(clip.byteLength / 8);
    expect(frameDbfs(new Uint8Array(160).fill(0xff))).toBe(-Infinity);
    expect(mulawToLinear(0x00)).toBe(-32124);
    expect(mulawToLinear(0x80)).toBe(32124);
  });

  it('stamps frames so an echo can be matched to what was sent', () => {
    const f = stampFrame(new Uint8Array(160).fill(0xff), 123456);
    expect(readStamp(f)).toBe(123456);
    expect(readStamp(new Uint8Array(160).fill(0xff))).toBeUndefined();
  });
});

describe(resolveScript.name, () => {
  it('derives the call length and a transcript from the clips', () => {
    const r = resolveScript({
      caller: [{ clip: new Uint8Array(800), atMs: 0, text: 'hello' }],
      agent: [{ clip: new Uint8Array(1600), atMs: 150 }],
    });
    expect(r.durationMs).toBe(350 + 500);
    expect(r.transcript).toEqual([
      { role: 'user', content: 'hello', atMs: 100 },
      { role: 'agent', content: '[200 ms of audio]', atMs: 350 },
    ]);
    expect(r.hangupBy).toBe('agent');
    expect(resolveScript().durationMs).toBe(1000);
  });
});
