import type { AudioEvent } from '../audio/audio-processor.interface.js';
import { ConversationAnalyzer, percentile, type ConversationSignals } from './conversation-analyzer.js';

class RecordingSignals implements ConversationSignals {
  readonly interruptions: number[] = [];
  readonly deadAirs: { ms: number; since: number }[] = [];
  interruption(at: number): void {
    this.interruptions.push(at);
  }
  deadAir(ms: number, since: number): void {
    this.deadAirs.push({ ms, since });
  }
}

const start = (track: 'inbound' | 'outbound', at: number, detectedAt = at + 100): AudioEvent => ({
  type: 'speech.started',
  track,
  at,
  detectedAt,
});
const stop = (track: 'inbound' | 'outbound', at: number, detectedAt = at + 600): AudioEvent => ({
  type: 'speech.stopped',
  track,
  at,
  detectedAt,
});

describe(ConversationAnalyzer.name, () => {
  it('measures a handover even when the agent start arrives before the caller stop it answers', () => {
    const signals = new RecordingSignals();
    const a = new ConversationAnalyzer(signals, 2000);
    a.onEvent(start('inbound', 1000));
    // Caller stops at 3000 but the stop is only confirmed at 3600; the agent starts at 3450, confirmed at 3500.
    a.onEvent(start('outbound', 3450, 3500));
    a.onEvent(stop('inbound', 3000, 3600));
    a.onEvent(stop('outbound', 6000, 6100));
    a.advance(7000);
    const s = a.snapshot();
    expect(s.responseLatenciesMs).toEqual([450]);
    expect(s.interruptions).toEqual([]);
    expect(s.overlapMs).toBe(0);
    expect(s.talkTimeMs).toEqual({ caller: 2000, agent: 2550 });
    // Silence between the first speech and the end: 3000→3450 and 6000→7000.
    expect(s.deadAir).toEqual({ totalMs: 1450, longestMs: 1000 });
  });

  it('counts an interruption with the time the agent took to yield', () => {
    const signals = new RecordingSignals();
    const a = new ConversationAnalyzer(signals, 2000);
    a.onEvent(start('outbound', 0));
    a.onEvent(start('inbound', 2000));
    a.onEvent(stop('outbound', 2300));
    a.onEvent(stop('inbound', 3500));
    a.onEvent(start('outbound', 4100));
    a.onEvent(stop('outbound', 5000));
    a.advance(5000);
    const s = a.snapshot();
    expect(signals.interruptions).toEqual([2000]);
    expect(s.interruptions).toEqual([{ at: 2000, yieldMs: 300 }]);
    expect(s.overlapMs).toBe(300);
    expect(s.responseLatenciesMs).toEqual([600]);
  });

  it('does not count a pause within the caller turn as a response', () => {
    const a = new ConversationAnalyzer(new RecordingSignals(), 2000);
    a.onEvent(start('inbound', 0));
    a.onEvent(stop('inbound', 1000));
    a.onEvent(start('inbound', 1500));
    a.onEvent(stop('inbound', 2000));
    a.onEvent(start('outbound', 2200));
    a.onEvent(stop('outbound', 3000));
    expect(a.snapshot().responseLatenciesMs).toEqual([200]);
  });

  it('raises dead air once per silent stretch, after the threshold', () => {
    const signals = new RecordingSignals();
    const a = new ConversationAnalyzer(signals, 2000);
    a.advance(5000); // nobody has spoken yet: ringing, not dead air
    a.onEvent(start('outbound', 5000));
    a.onEvent(stop('outbound', 6000, 6100));
    a.advance(7900);
    expect(signals.deadAirs).toEqual([]);
    a.advance(8000);
    a.advance(9000);
    expect(signals.deadAirs).toEqual([{ ms: 2000, since: 6000 }]);
  });

  it('keeps memory bounded on an endless stream of turns', () => {
    const a = new ConversationAnalyzer(new RecordingSignals(), 2000, 10);
    for (let i = 0; i < 100; i++) {
      a.onEvent(start('inbound', i * 100));
      a.onEvent(stop('inbound', i * 100 + 50));
    }
    expect(a.snapshot().talkTimeMs.caller).toBe(500);
  });

  it('records DTMF digits', () => {
    const a = new ConversationAnalyzer(new RecordingSignals(), 2000);
    a.onEvent({ type: 'dtmf', track: 'inbound', digit: '0', at: 1200, detectedAt: 1260 });
    expect(a.snapshot().dtmf).toEqual([{ digit: '0', at: 1200 }]);
  });
});

describe(percentile.name, () => {
  it('uses nearest rank', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([300, 100, 200], 50)).toBe(200);
    expect(percentile([100, 200, 300, 400], 95)).toBe(400);
  });
});
