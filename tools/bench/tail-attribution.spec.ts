import { attributeTail, describeTail, TIMELINE_KIND } from './tail-attribution.js';

const GC_MINOR = 1;

describe(attributeTail.name, () => {
  it('counts each tail frame under every cause its interval overlaps, and the rest as none', () => {
    const timeline = [
      [100, 2, TIMELINE_KIND.model],
      [200, 1.5, GC_MINOR],
      [300, 8, TIMELINE_KIND.stall, 0.4],
      [302, 1, TIMELINE_KIND.model],
    ] as const;
    // sent, latency: a fast frame, then tail frames behind the model run, the GC pause, the stall with a model run
    // inside it, and behind nothing.
    const sent = [50, 99.5, 199, 301, 400];
    const latency = [0.2, 3, 3, 5, 4];
    const a = attributeTail(sent, latency, timeline, 3);
    expect(a).toEqual({ thresholdMs: 3, frames: 4, overlapping: { model: 2, gc: 1, stall: 1, preempted: 0 }, none: 1 });
  });

  it('finds an entry that started long before a frame and still held the loop when it was sent', () => {
    const a = attributeTail(
      [150],
      [5],
      [
        [0, 30, TIMELINE_KIND.stall],
        [100, 60, GC_MINOR],
        [149, 0.5, TIMELINE_KIND.model],
      ],
      1,
    );
    expect(a.overlapping).toEqual({ model: 0, gc: 1, stall: 0, preempted: 0 });
  });

  it('counts frames that queued while the event loop waited for a core, even in a gap too short to be a stall', () => {
    // A 3 ms tick gap of which 2.6 ms were spent runnable but not running (another thread had the core).
    const timeline = [[500, 3, TIMELINE_KIND.preempted, 2.6]] as const;
    const a = attributeTail([499.5, 503.5], [4, 4], timeline, 3);
    expect(a).toEqual({ thresholdMs: 3, frames: 2, overlapping: { model: 0, gc: 0, stall: 0, preempted: 1 }, none: 1 });
  });

  it('ignores frames below the threshold and frames with no arrival', () => {
    const a = attributeTail([10, 20], [Number.NaN, 0.5], [[0, 100, GC_MINOR]], 1);
    expect(a.frames).toBe(0);
    expect(describeTail(a)).toBe('no frame at or above 1.00 ms');
  });

  it('reports shares of the tail', () => {
    const a = attributeTail([0, 10], [5, 5], [[1, 1, TIMELINE_KIND.model]], 5);
    expect(describeTail(a)).toBe(
      '2 frames at or above 5.00 ms overlap a Silero run 50 %, a GC pause 0 %, a stall over 5 ms 0 %, ' +
        'a wait for a core (≥ 1 ms in a 1 ms tick) 0 %, nothing on the timeline 50 %',
    );
  });
});
