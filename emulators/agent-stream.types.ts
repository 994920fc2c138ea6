/**
 * What the agent emulator records about each connection from the app's relay.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { StartFrame } from '../src/protocol/twilio-media.js';

/** One inbound media frame as the agent received it. */
export interface MediaReceipt {
  readonly sequenceNumber: number;
  readonly chunk: number;
  readonly timestamp: number;
  readonly track: string;
  /** `stampFrame` stamp of the payload, when the sender stamped frames. */
  readonly stamp?: number;
  /** `performance.now()` at receipt (same clock as the Twilio emulator's streams). */
  readonly perf: number;
  readonly bytes: number;
}

/** A response the scripted agent sent. */
export interface AgentResponse {
  readonly index: number;
  /** ms after the connection opened. */
  readonly turnEndAt: number;
  firstMediaAt?: number;
  lastMediaAt?: number;
  readonly bytes: number;
  readonly markName: string;
  markEchoedAt?: number;
  bargedIn?: boolean;
}

/** One connection from the app's relay, and everything that happened on it. */
export interface AgentConnection {
  readonly id: number;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** Epoch ms. */
  readonly openedAt: number;
  /** `performance.now()` at open. */
  readonly openedPerf: number;
  start?: StartFrame['start'];
  streamSid?: string;
  connected: boolean;
  stopReceived: boolean;
  /** Every frame received, by event name. */
  readonly counts: Record<string, number>;
  readonly media: MediaReceipt[];
  /** Mark echoes from the relay (the audio before them has played). ms after open. */
  readonly marksReceived: { readonly name: string; readonly t: number }[];
  /** `clear`s or other non-standard events the relay sent upstream. */
  readonly clearsReceived: { readonly t: number }[];
  readonly dtmf: { readonly digit: string; readonly t: number }[];
  readonly invalid: { readonly reason: string; readonly t: number }[];
  readonly sent: { media: number; bytes: number; marks: string[]; clears: number };
  readonly responses: AgentResponse[];
  closed?: {
    readonly code: number;
    readonly reason: string;
    readonly by: 'relay' | 'agent' | 'killed';
    readonly t: number;
  };
}
