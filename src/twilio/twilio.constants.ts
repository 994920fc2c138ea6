/** Resolved {@link TwilioModuleOptions}. */
export const RESOLVED_TWILIO_OPTIONS = Symbol('RESOLVED_TWILIO_OPTIONS');

/** Header of Twilio's webhook signature (Node lower-cases header names). */
export const TWILIO_SIGNATURE_HEADER = 'x-twilio-signature';
/** Header naming a non-default signature algorithm (SharedKey webhooks). */
export const TWILIO_SIGNATURE_SETTINGS_HEADER = 'x-twilio-webhooks-signature-settings';

/** Routes Twilio calls, relative to the public URL. */
export const TWILIO_PATHS = {
  voice: '/twilio/voice',
  dialComplete: '/twilio/dial-complete',
  status: '/twilio/status',
  streamStatus: '/twilio/stream-status',
  media: '/twilio/media',
} as const;
