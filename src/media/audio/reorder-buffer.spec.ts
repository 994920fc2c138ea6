import type { MediaTrack } from '../../protocol/twilio-media.js';
import type { AudioFrame } from './audio-processor.interface.js';
import { DEFAULT_REORDER_OPTIONS, ReorderBuffer, type ReorderStats } from './reorder-buffer.js';

interface Out {
  track: MediaTrack;
  ts: number;
  first: number;
  bytes: number;
  same: boolean;
}

/** A buffer whose sink records (track, timestamp, first byte, length, whether the caller's array was passed through). */
function setup(options = DEFAULT_REORDER_OPTIONS) {
  const out: Out[] = [];
  const stats: ReorderStats = { framesIn: 0, framesReordered: 0, framesLate: 0, framesDuplicate: 0, framesMissing: 0 };
  let last: Uint8Array | undefined;
  const buffer = new ReorderBuffer(options, stats, (track, ts, data, start, end) =>
    out.push({ track, ts, first: data[start]!, bytes: end - start, same: data === last }),
  );
  const push = (frame: AudioFrame) => {
    last = frame.payload;
    buffer.push(frame);
  };
  return { out, stats, buffer, push };
}

/** Frame `i` of a track: 20 ms, timestamp 20·i, payload filled with i (mod 256). */
function frame(seq: number, i: number, track: MediaTrack = 'inbound', bytes = 160): AudioFrame {
  return { sequenceNumber: seq, track, timestamp: i * 20, payload: new Uint8Array(bytes).fill(i & 0xff) };
}

const order = (out: Out[]) => out.map((o) => o.first);

describe(ReorderBuffer.name, () => {
  it('passes in-order frames straight through, without copying', () => {
    const { out, stats, push } = setup();
    for (let i = 0; i < 10; i++) push(frame(2 + i, i));
    expect(order(out)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(out.every((o) => o.same && o.bytes === 160)).toBe(true);
    expect(stats).toEqual({ framesIn: 10, framesReordered: 0, framesLate: 0, framesDuplicate: 0, framesMissing: 0 });
  });

  it('puts back frames that arrive up to 60 ms late', () => {
    const { out, stats, push } = setup();
    // Frame 3 arrives after 4, 5 and 6 (60 ms of newer audio); frames 8 and 9 swap.
    for (const i of [0, 1, 2, 4, 5, 6, 3, 7, 9, 8, 10]) push(frame(2 + i, i));
    expect(order(out)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(stats.framesReordered).toBe(2);
    expect(stats.framesLate + stats.framesMissing + stats.framesDuplicate).toBe(0);
  });

  it('gives up a frame more than 60 ms late: the gap is skipped (missing) and the frame dropped (late)', () => {
    const { out, stats, push } = setup();
    for (const i of [0, 1, 2, 4, 5, 6, 7, 3, 8]) push(frame(2 + i, i));
    expect(order(out)).toEqual([0, 1, 2, 4, 5, 6, 7, 8]);
    expect(stats.framesMissing).toBe(1);
    expect(stats.framesLate).toBe(1);
  });

  it('skips a gap that never fills once the stream is 60 ms past it, and flushes what it holds at the end', () => {
    const { out, stats, push, buffer } = setup();
    for (const i of [0, 1, 4, 5]) push(frame(2 + i, i));
    expect(order(out)).toEqual([0, 1]); // 2 and 3 may still come
    push(frame(2 + 6, 6));
    expect(order(out)).toEqual([0, 1, 4, 5, 6]);
    expect(stats.framesMissing).toBe(2);
    push(frame(2 + 8, 8));
    buffer.flush();
    expect(order(out)).toEqual([0, 1, 4, 5, 6, 8]);
    expect(stats.framesMissing).toBe(3);
  });

  it('drops and counts duplicates, wherever they fall', () => {
    const { out, stats, push } = setup();
    for (const i of [0, 1, 1, 3, 2, 3, 4, 0]) push(frame(2 + i, i));
    expect(order(out)).toEqual([0, 1, 2, 3, 4]);
    expect(stats.framesDuplicate).toBe(3);
    expect(stats.framesLate).toBe(0);
  });

  it('orders each track of a fork on the shared sequence numbers, and a late inbound frame does not hold up outbound', () => {
    const { out, push } = setup();
    const both = (i: number) => [frame(2 + 2 * i, i, 'inbound'), frame(3 + 2 * i, i, 'outbound')];
    const frames = [0, 1, 2, 3, 4].flatMap(both);
    // Inbound frame 1 (seq 4) arrives after outbound frame 3.
    const late = frames.splice(2, 1)[0]!;
    frames.splice(7, 0, late);
    for (const f of frames) push(f);
    const track = (t: MediaTrack) => out.filter((o) => o.track === t).map((o) => o.first);
    expect(track('inbound')).toEqual([0, 1, 2, 3, 4]);
    expect(track('outbound')).toEqual([0, 1, 2, 3, 4]);
    // Outbound frames were not held while inbound waited: outbound 1 came out before inbound 1.
    const pos = (t: MediaTrack, i: number) => out.findIndex((o) => o.track === t && o.first === i);
    expect(pos('outbound', 1)).toBeLessThan(pos('inbound', 1));
  });

  it('does not wait on sequence numbers taken by other messages (marks, dtmf): contiguous timestamps go through', () => {
    const { out, stats, push } = setup();
    // Relay mode: inbound only, a mark echo between every few frames consumes a sequence number.
    let seq = 2;
    for (let i = 0; i < 8; i++) {
      push(frame(seq++, i));
      expect(out).toHaveLength(i + 1);
      if (i % 3 === 2) seq++;
    }
    expect(stats.framesMissing).toBe(0);
  });

  it('releases at once when every sequence number in between has been seen, even across a timestamp jump', () => {
    const { out, push } = setup();
    push(frame(2, 0, 'outbound'));
    push(frame(3, 0, 'inbound'));
    push(frame(4, 50, 'outbound')); // the agent was silent for a second: Twilio sent no outbound audio
    expect(out.map((o) => [o.track, o.ts])).toEqual([
      ['outbound', 0],
      ['inbound', 0],
      ['outbound', 1000],
    ]);
  });

  it('lets a payload too big to hold through by giving up the gap before it, and survives odd and empty payloads', () => {
    const { out, stats, push } = setup();
    push(frame(2, 0));
    push(frame(4, 2, 'inbound', 64 * 1024)); // seq 3 missing, 64 KiB cannot be held
    expect(out.map((o) => o.bytes)).toEqual([160, 65536]);
    expect(stats.framesMissing).toBe(1);
    // The 64 KiB frame claimed 8192 ms from 40 ms on: a frame inside that span replays covered time and is dropped.
    push({ sequenceNumber: 5, track: 'inbound', timestamp: 3300, payload: new Uint8Array(160) });
    expect(stats.framesDuplicate).toBe(1);
    push({ sequenceNumber: 6, track: 'inbound', timestamp: 8232, payload: new Uint8Array(0) });
    push({ sequenceNumber: 7, track: 'inbound', timestamp: 8232, payload: new Uint8Array(7) });
    push({ sequenceNumber: 8, track: 'inbound', timestamp: 8233, payload: new Uint8Array(161) });
    expect(out.map((o) => o.bytes)).toEqual([160, 65536, 0, 7, 161]);
  });

  it('holds at most `slots` frames: when they run out the oldest gap is given up', () => {
    const { out, stats, push } = setup({ ...DEFAULT_REORDER_OPTIONS, slots: 4, windowMs: 10_000 });
    push(frame(2, 0));
    for (let i = 2; i < 6; i++) push(frame(2 + i, i)); // frame 1 never comes; 4 frames wait for it
    expect(order(out)).toEqual([0]);
    push(frame(2 + 6, 6)); // no slot left: give up on frame 1
    expect(order(out)).toEqual([0, 2, 3, 4, 5, 6]);
    expect(stats.framesMissing).toBe(1);
  });

  it('drops a flood of new sequence numbers replaying stream time already covered, so the track is not pushed later', () => {
    const { out, stats, push } = setup();
    for (let i = 0; i < 5; i++) push(frame(1 + i, i));
    for (let k = 0; k < 100; k++) push(frame(100 + k, 4)); // fresh sequence numbers, the timestamp of frame 4
    push(frame(200, 5));
    expect(order(out)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(out.at(-1)!.ts).toBe(100);
    expect(stats.framesDuplicate).toBe(100);
  });

  it('counts and drops frames that are not frames', () => {
    const { out, stats, buffer } = setup();
    buffer.push({ sequenceNumber: -1, track: 'inbound', timestamp: 0, payload: new Uint8Array(160) });
    buffer.push({ sequenceNumber: 1.5, track: 'inbound', timestamp: 0, payload: new Uint8Array(160) });
    buffer.push({ sequenceNumber: 3, track: 'sideways' as MediaTrack, timestamp: 0, payload: new Uint8Array(160) });
    buffer.push({ sequenceNumber: 4, track: 'inbound', timestamp: 0, payload: 'AAAA' as unknown as Uint8Array });
    expect(out).toEqual([]);
    expect(stats.framesInvalid).toBe(4);
    expect(stats.framesIn).toBe(4);
  });
});
