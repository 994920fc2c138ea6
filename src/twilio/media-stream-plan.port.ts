/**
 * How the voice webhook brings a media stream into a call: `fork` = `<Start><Stream track="both_tracks">` and then
 * the `<Dial>` to the agent; `connect` = `<Connect><Stream>` instead of the agent (a raw-audio agent is reached through
 * the stream, no Retell registration); `none` = the `<Dial>` alone.
 */
export type MediaStreamPlan = { readonly kind: 'none' } | { readonly kind: 'fork' } | { readonly kind: 'connect' };

/** No stream: what TwilioModule does when nothing provides {@link MEDIA_STREAM_PLAN}. */
export const NO_MEDIA_STREAM: MediaStreamPlan = { kind: 'none' };

/**
 * Injection token of the {@link MediaStreamPlan}, defined here because the voice webhook reads it, and provided by the
 * module that serves the stream (MediaModule, from its `mode`): the media mode is configured in one place. TwilioModule
 * looks it up across the app at init, so it needs no import of the media module and no global registration.
 */
export const MEDIA_STREAM_PLAN = Symbol('MediaStreamPlan');
