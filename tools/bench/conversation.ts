import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assetsAudioDir, readMulawWav } from '../../emulators/wav.js';

/** 20 ms of 8 kHz mu-law. */
export const FRAME_BYTES = 160;
export const FRAME_MS = 20;

/** Base64 payloads of one conversation cycle, one per 20 ms frame, shared by every simulated call. */
export interface Conversation {
  /** Caller (Twilio `inbound` track). */
  readonly inbound: readonly string[];
  /** What the caller hears: the agent (Twilio `outbound` track). */
  readonly outbound: readonly string[];
  /** Frames per cycle. */
  readonly frames: number;
  /** Share of labelled speech frames per track over the cycle. */
  readonly speech: { readonly inbound: number; readonly outbound: number };
  /** Frame of the cycle where the caller's labelled speech starts (a relay's barge-in follows it). */
  readonly callerOnset: number;
  readonly description: string;
}

interface Labels {
  readonly clips: Record<string, { readonly speech_frames: readonly number[] }>;
}

const CALLER_CLIP = 's1_pink_snr20';
const AGENT_CLIP = 's2_clean';
/** Margin kept around each clip's labelled speech (ms). */
const MARGIN_FRAMES = 15;
/** Pause between turns (ms / 20): the agent's response latency and the caller's. */
const GAP_FRAMES = 30;

/**
 * A turn-taking conversation, looped: the caller says s1 (pink noise at 20 dB SNR, so the line noise goes on while
 * the agent talks), pause, the agent answers with s2 (clean TTS, digital near-silence around it), pause. Each clip is
 * cut to its labelled speech ± 300 ms. With 600 ms pauses the cycle is ~13 s, with ~37 % caller and ~32 % agent
 * speech frames: the energy gate opens and Silero runs on the caller's turns, as in a real call.
 */
export function buildConversation(): Conversation {
  const dir = assetsAudioDir();
  const labels = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as Labels;
  const clip = (name: string) => {
    const samples = readMulawWav(join(dir, `${name}.wav`)).samples;
    const frames: Uint8Array[] = [];
    for (let o = 0; o + FRAME_BYTES <= samples.length; o += FRAME_BYTES)
      frames.push(samples.subarray(o, o + FRAME_BYTES));
    const speech = labels.clips[name]!.speech_frames;
    const first = speech.indexOf(1);
    const last = speech.lastIndexOf(1);
    return { frames, speech, first, last };
  };
  const caller = clip(CALLER_CLIP);
  const agent = clip(AGENT_CLIP);

  const callerTurn = caller.frames.slice(Math.max(0, caller.first - MARGIN_FRAMES), caller.last + MARGIN_FRAMES + 1);
  const callerSpeech = caller.speech.slice(Math.max(0, caller.first - MARGIN_FRAMES), caller.last + MARGIN_FRAMES + 1);
  const agentTurn = agent.frames.slice(Math.max(0, agent.first - MARGIN_FRAMES), agent.last + MARGIN_FRAMES + 1);
  const agentSpeech = agent.speech.slice(Math.max(0, agent.first - MARGIN_FRAMES), agent.last + MARGIN_FRAMES + 1);
  // Line noise for the caller while not speaking: the clip's own noise-only frames, looped.
  const callerNoise = caller.frames.filter((_, i) => i < caller.first || i > caller.last);
  // The agent's silence: the TTS clip's own leading near-silence, looped.
  const agentQuiet = agent.frames.slice(0, Math.max(1, agent.first - MARGIN_FRAMES));

  const frames = callerTurn.length + GAP_FRAMES + agentTurn.length + GAP_FRAMES;
  const inbound: string[] = [];
  const outbound: string[] = [];
  let inboundSpeech = 0;
  let outboundSpeech = 0;
  const b64 = (f: Uint8Array) => Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64');
  for (let t = 0; t < frames; t++) {
    if (t < callerTurn.length) {
      inbound.push(b64(callerTurn[t]!));
      inboundSpeech += callerSpeech[t] ?? 0;
    } else inbound.push(b64(callerNoise[(t - callerTurn.length) % callerNoise.length]!));
    const a = t - callerTurn.length - GAP_FRAMES;
    if (a >= 0 && a < agentTurn.length) {
      outbound.push(b64(agentTurn[a]!));
      outboundSpeech += agentSpeech[a] ?? 0;
    } else outbound.push(b64(agentQuiet[t % agentQuiet.length]!));
  }
  return {
    inbound,
    outbound,
    frames,
    speech: { inbound: inboundSpeech / frames, outbound: outboundSpeech / frames },
    callerOnset: caller.first - Math.max(0, caller.first - MARGIN_FRAMES),
    description:
      `caller ${CALLER_CLIP} / agent ${AGENT_CLIP}, turn-taking, ${((frames * FRAME_MS) / 1000).toFixed(2)} s cycle, ` +
      `speech ${((inboundSpeech / frames) * 100).toFixed(0)} % caller / ${((outboundSpeech / frames) * 100).toFixed(0)} % agent`,
  };
}
