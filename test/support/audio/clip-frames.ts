import { MULAW_BYTES_PER_MS, type MediaTrack } from '../../../src/protocol/twilio-media.js';
import type {
  AudioEvent,
  AudioFrame,
  AudioProcessor,
  AudioStream,
} from '../../../src/media/audio/audio-processor.interface.js';

/** How a clip is cut into Twilio-like frames. */
export interface ClipFramesOptions {
  readonly track?: MediaTrack;
  /** Bytes per frame (160 = 20 ms). */
  readonly frameBytes?: number;
  /** Sequence number of the first frame (Twilio's first media frame is usually 2). */
  readonly firstSequence?: number;
  /** Sequence numbers between consecutive frames of this track (2 when another track interleaves). */
  readonly sequenceStep?: number;
  /** Stream time of the first frame, ms. */
  readonly startMs?: number;
}

/** Cuts mu-law bytes into frames with sequence numbers and timestamps, as a Media Stream would deliver them. */
export function clipFrames(samples: Uint8Array, options: ClipFramesOptions = {}): AudioFrame[] {
  const { track = 'inbound', frameBytes = 160, firstSequence = 2, sequenceStep = 1, startMs = 0 } = options;
  const frames: AudioFrame[] = [];
  for (let offset = 0, i = 0; offset < samples.byteLength; offset += frameBytes, i++) {
    frames.push({
      sequenceNumber: firstSequence + i * sequenceStep,
      track,
      timestamp: startMs + offset / 8,
      payload: samples.subarray(offset, Math.min(offset + frameBytes, samples.byteLength)),
    });
  }
  return frames;
}

/** Streams that can say when the model has answered everything pushed so far (the default processor's do). */
interface Settling {
  settled?: () => Promise<void>;
}

/** What {@link playFrames} observed. */
export interface PlayResult {
  readonly events: AudioEvent[];
  readonly stream: AudioStream;
}

/**
 * Pushes frames through a processor's public API one at a time, letting the model answer after each (as it does
 * between real 20 ms frames), then ends the stream at the end of the audio. `between` replaces that wait (a
 * processor in another thread cannot say when it has answered: a fixed pace instead).
 */
export async function playFrames(
  processor: AudioProcessor,
  frames: readonly AudioFrame[],
  tracks: readonly MediaTrack[] = ['inbound'],
  between: (stream: AudioStream) => Promise<void> = settle,
): Promise<PlayResult> {
  const events: AudioEvent[] = [];
  const stream = processor.open({ tracks, onEvent: (e) => events.push(e) });
  let endMs = 0;
  for (const frame of frames) {
    stream.push(frame);
    endMs = Math.max(endMs, frame.timestamp + frame.payload.byteLength / MULAW_BYTES_PER_MS);
    await between(stream);
  }
  await stream.end(endMs);
  stream.close();
  return { events, stream };
}

/** Waits until the stream's model work is done (or one turn of the event loop for other processors). */
export async function settle(stream: AudioStream): Promise<void> {
  const s = stream as AudioStream & Settling;
  if (s.settled) await s.settled();
  else await new Promise((resolve) => setImmediate(resolve));
}
