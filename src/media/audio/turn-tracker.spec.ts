import { DEFAULT_TURN_OPTIONS } from './audio-processor.options.js';
import { TurnTracker, type TurnDater } from './turn-tracker.js';

type Ev = [string, number, number];

/** Feeds 32 ms units from a string: '#' speech (p 0.9), '~' weak (p 0.4), '.' silence, 'T' blocked (tone). */
function run(pattern: string, dater?: TurnDater, endAt?: number): Ev[] {
  const events: Ev[] = [];
  const t = new TurnTracker(DEFAULT_TURN_OPTIONS, (type, at, detectedAt) => events.push([type, at, detectedAt]), dater);
  [...pattern].forEach((c, u) => {
    const p = c === '#' ? 0.9 : c === '~' ? 0.4 : 0;
    t.update(u, u * 32, (u + 1) * 32, p, c === 'T');
  });
  if (endAt !== undefined) t.end(endAt);
  return events;
}

const silence = (ms: number) => '.'.repeat(Math.ceil(ms / 32));

describe(TurnTracker.name, () => {
  it('confirms a turn after 60 ms of speech (2 windows) and dates it to the first', () => {
    expect(run('....#..')).toEqual([]);
    expect(run('....##' + silence(700))).toEqual([
      ['speech.started', 128, 192],
      ['speech.stopped', 192, 192 + 608],
    ]);
  });

  it('keeps pauses under 600 ms inside the turn ("wait… no… actually" is one turn)', () => {
    const events = run('##' + silence(500) + '###' + silence(300) + '##' + silence(700));
    expect(events.map((e) => e[0])).toEqual(['speech.started', 'speech.stopped']);
  });

  it('splits at a pause of 600 ms and more', () => {
    const events = run('##' + silence(640) + '##' + silence(700));
    expect(events.map((e) => e[0])).toEqual(['speech.started', 'speech.stopped', 'speech.started', 'speech.stopped']);
  });

  it('holds a turn through weak windows (hysteresis) but does not start one on them', () => {
    expect(run('~~~~~~' + silence(700))).toEqual([]);
    const events = run('##~~~~~~~~~~~~~~~~~~~~' + silence(700));
    expect(events[1]).toEqual(['speech.stopped', 22 * 32, 22 * 32 + 608]);
  });

  it('never lets a tone start or extend a turn, and cancels a run it interrupts', () => {
    expect(run('#TTTTT#' + silence(700))).toEqual([]);
    expect(run('TTTTTTTTTT')).toEqual([]);
    const events = run('##TTTTTTTTTTTTTTTTTTTTT');
    expect(events[1]).toEqual(['speech.stopped', 64, 64 + 608]);
  });

  it('closes an open turn at end of stream, dated to its last speech', () => {
    expect(run('..####..', undefined, 400)).toEqual([
      ['speech.started', 64, 128],
      ['speech.stopped', 192, 400],
    ]);
  });

  it('lets a dater refine both ends, within the turn and not before the previous one', () => {
    const dater: TurnDater = { onset: (_u, start) => start - 1000, end: (_u, end) => end - 20 };
    const events = run('..##' + silence(640) + '##' + silence(640), dater);
    expect(events[0]).toEqual(['speech.started', -936, 128]);
    expect(events[1]).toEqual(['speech.stopped', 108, 128 + 608]);
    // The second turn's onset would be dated before the first turn's end: clamped to it.
    expect(events[2]![1]).toBe(108);
  });
});
