/**
 * Types of an emulated Twilio call: how it is set up, and the outcome it resolves with.
 */
import type { TwilioCallStatus } from '../src/protocol/twilio-webhooks.js';
import type { MediaStreamRecord } from './media-stream.types.js';
import type { PublicUrlMap } from './public-url-map.js';
import type { SipEndpoint } from './sip-endpoint.js';
import type { TimelineEvent, WebhookPurpose } from './timeline.js';
import type { CallScript } from './twilio-call-script.js';
import type { SignatureMode, TwilioWebhookSigner } from './twilio-webhook-signer.js';

/** Status callback events a call can subscribe to (`StatusCallbackEvent`). */
export type CallProgressEvent = 'initiated' | 'ringing' | 'answered' | 'completed';

/** Where a call's status callbacks go. */
export interface StatusCallbackConfig {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  /** Default `['completed']`, as Twilio. */
  readonly events?: readonly CallProgressEvent[];
}

/** What the emulator shares with every call. */
export interface CallEnvironment {
  readonly accountSid: string;
  readonly signer: TwilioWebhookSigner;
  readonly urlMap: PublicUrlMap;
  readonly sip?: SipEndpoint;
  /** Twilio waits 15 s for TwiML. */
  readonly webhookTimeoutMs: number;
  /** `reversed`: hold status callbacks until the call ends, then deliver them newest first. */
  readonly statusCallbackDelivery: 'immediate' | 'reversed';
  /** Hard cap on a call's life. */
  readonly maxCallMs: number;
  readonly signal: AbortSignal;
  /** Every timeline event, emulator-wide. */
  readonly onTimeline: (event: TimelineEvent) => void;
}

/** How a call is set up. */
export interface CallInit {
  readonly callSid?: string;
  readonly direction: 'inbound' | 'outbound-api';
  readonly from: string;
  readonly to: string;
  /** The voice request: a URL to fetch TwiML from, or inline TwiML (`Twiml` on calls.create). */
  readonly voice: { readonly url: string; readonly method?: 'GET' | 'POST' } | { readonly twiml: string };
  readonly statusCallback?: StatusCallbackConfig;
  readonly script?: CallScript;
  /** `MachineDetection` on calls.create: the voice request then carries `AnsweredBy`. */
  readonly machineDetection?: string;
  readonly answeredBy?: string;
}

/** An HTTP request the call sent. */
export interface WebhookRecord {
  readonly purpose: WebhookPurpose;
  readonly method: 'GET' | 'POST';
  /** As configured (public). */
  readonly url: string;
  readonly params: Readonly<Record<string, string>>;
  readonly signature: SignatureMode;
  /** ms since the call started. */
  readonly t: number;
  status?: number;
  body?: string;
  ms?: number;
  error?: string;
}

/** A `<Dial>` and how it went. */
export interface DialRecord {
  readonly target: string;
  readonly kind: 'sip' | 'number' | 'other';
  status: 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';
  readonly dialCallSid: string;
  sipCode?: number;
  /** Retell call id, for SIP legs. */
  remoteId?: string;
  /** Seconds the leg was up. */
  durationSec: number;
  /** Who ended an answered leg. */
  endedBy?: 'remote' | 'agent-script' | 'caller' | 'redirect' | 'api';
}

/** Why the call ended. */
export type CallEndReason = 'twiml' | 'caller' | 'api' | 'error' | 'max-duration' | 'not-answered' | 'emulator-closed';

/** The result of a call, once it has ended. */
export interface CallOutcome {
  readonly callSid: string;
  readonly direction: 'inbound' | 'outbound-api';
  readonly from: string;
  readonly to: string;
  readonly status: TwilioCallStatus;
  readonly endReason: CallEndReason;
  readonly answered: boolean;
  readonly durationSec: number;
  /** TwiML documents executed, in order. */
  readonly twiml: readonly { readonly source: WebhookPurpose | 'inline' | 'rest'; readonly xml: string }[];
  /** Verbs executed, in order. */
  readonly verbs: readonly { readonly verb: string; readonly detail: string; readonly t: number }[];
  readonly says: readonly string[];
  readonly transfers: readonly string[];
  readonly dials: readonly DialRecord[];
  readonly streams: readonly MediaStreamRecord[];
  readonly statusCallbacks: readonly WebhookRecord[];
  readonly webhooks: readonly WebhookRecord[];
  /** Twilio error codes the call ran into (11200 HTTP retrieval failure, 12100 parse failure, 31920 stream handshake…). */
  readonly errors: readonly { readonly code: number; readonly message: string }[];
  readonly timeline: readonly TimelineEvent[];
}
