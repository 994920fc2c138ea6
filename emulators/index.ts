/**
 * Local emulators of Twilio and Retell AI (and of a raw-audio agent) that speak the real wire protocols, for tests
 * and the demo. See each module for details.
 */
export { AgentStreamEmulator } from './agent-stream-emulator.js';
export type {
  AgentConnection,
  AgentResponse,
  AgentStreamEmulatorOptions,
  MediaReceipt,
  ScriptedAgentOptions,
  TurnDetection,
} from './agent-stream-emulator.js';
export { EMULATOR_DEFAULTS, startEmulatorStack } from './emulator-stack.js';
export type { EmulatorStack, EmulatorStackOptions } from './emulator-stack.js';
export { FramePacer } from './frame-pacer.js';
export { MediaStreamClient } from './media-stream-client.js';
export type {
  MediaStreamClientOptions,
  MediaStreamRecord,
  ScriptedDtmf,
  StreamClose,
  StreamFaults,
  StreamMode,
} from './media-stream-client.js';
export {
  FRAME_BYTES,
  FRAME_MS,
  MULAW_SILENCE,
  clipDurationMs,
  frameDbfs,
  frameRms,
  loadClip,
  mulawToLinear,
  readPayloadStamp,
  readStamp,
  stampFrame,
  TrackAudio,
} from './mulaw-audio.js';
export type { ClipPlacement, ClipSource } from './mulaw-audio.js';
export { PublicUrlMap } from './public-url-map.js';
export type { PublicUrlMapping } from './public-url-map.js';
export { RetellEmulator, parseSipUri } from './retell-emulator.js';
export type {
  RetellApiRequest,
  RetellCallState,
  RetellEmulatorOptions,
  RetellRegistration,
  SipFailure,
} from './retell-emulator.js';
export { RetellWebhookSender } from './retell-webhook-sender.js';
export type { RetellDelivery, RetellSignatureMode } from './retell-webhook-sender.js';
export type { SipDialRequest, SipDialResult, SipEndpoint, SipLeg, SipLegEnd, TranscriptLine } from './sip-endpoint.js';
export { formatTimeline, formatTimelineEvent } from './timeline.js';
export type { TimelineEvent, TimelineEventBody, TimelineSource, WebhookPurpose } from './timeline.js';
export { TwilioCall } from './twilio-call.js';
export type {
  CallEndReason,
  CallOutcome,
  CallProgressEvent,
  DialRecord,
  StatusCallbackConfig,
  WebhookRecord,
} from './twilio-call.js';
export { resolveScript } from './twilio-call-script.js';
export type { CallScript } from './twilio-call-script.js';
export { TwilioEmulator } from './twilio-emulator.js';
export type {
  InboundCallRequest,
  NumberConfig,
  OutboundPlan,
  TwilioEmulatorOptions,
  TwilioRestRequest,
} from './twilio-emulator.js';
export { serializeTwilioFrame, readServerFrame } from './twilio-media-wire.js';
export { TwilioWebhookSigner } from './twilio-webhook-signer.js';
export type { SignatureMode, TwilioSigning } from './twilio-webhook-signer.js';
export { parseTwiml } from './twiml-parser.js';
export type { TwimlVerb, TwimlStream, DialTarget } from './twiml-parser.js';
