/**
 * callbridge as a package: the modules a Nest app imports, the ports it may replace, the records and events it can
 * read, and the one-call host setup. Everything here is public API; anything not exported here is internal.
 */

// Host setup.
export { CALLBRIDGE_NEST_OPTIONS, setupCallbridge } from './host-setup.js';
export { createTwilioWsAdapter, TwilioWsAdapter } from './media/twilio-ws.adapter.js';

// Modules and their options.
export { CallsModule } from './calls/calls.module.js';
export type { CallsModuleOptions } from './calls/calls.options.js';
export { RetellModule } from './retell/retell.module.js';
export type { RetellModuleOptions } from './retell/retell.options.js';
export { TwilioModule } from './twilio/twilio.module.js';
export type { TwilioModuleOptions, TwilioRestOptions } from './twilio/twilio.options.js';
export { MediaModule } from './media/media.module.js';
export { MEDIA_MODES, type MediaMode, type MediaModuleOptions } from './media/media.options.js';
export { MetricsModule } from './metrics/metrics.module.js';
export { MetricsService } from './metrics/metrics.service.js';
export { HealthModule } from './health/health.module.js';
export { LoggingModule } from './logging/logging.module.js';
export { ApiModule } from './api/api.module.js';

// Ports: an interface and a same-named token each, with a default.
export {
  CALL_STORE,
  type CallStore,
  type CallListQuery,
  type CallSummary,
  type NewCall,
} from './calls/call-store.interface.js';
export { InMemoryCallStore } from './calls/in-memory-call-store.js';
export {
  AUDIO_PROCESSOR,
  type AudioProcessor,
  type AudioStream,
  type AudioStreamOptions,
  type AudioStreamStats,
  type AudioFrame,
  type AudioEvent,
} from './media/audio/audio-processor.interface.js';
export { CALL_CONTROL, type CallControl, type CallControlResult } from './twilio/call-control.port.js';

// Services other modules and hosts use.
export { CallsService } from './calls/calls.service.js';
export { OutboundCallService } from './twilio/outbound-call.service.js';
export { RetellFunctionRegistry, type RetellFunctionHandler } from './retell/retell-function.registry.js';

// Records and events.
export type {
  CallRecord,
  CallState,
  CallDirection,
  CallPage,
  CallMediaInfo,
  ConversationAnalytics,
  EscalationRecord,
  RetellEventEntry,
  TwilioStatusEntry,
} from './calls/call-record.js';
export {
  MEDIA_EVENTS,
  type Speaker,
  type SpeechEvent,
  type InterruptionEvent,
  type DeadAirEvent,
  type DtmfEvent,
  type StreamLifecycleEvent,
} from './media/media.events.js';
