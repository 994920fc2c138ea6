/**
 * The `twilio` REST client: private to `twilio/`. Other modules move a live call through `CALL_CONTROL` (the layering
 * rule refuses an import of this file, or of the `twilio` package, from outside `twilio/`).
 */
export const TWILIO_CLIENT = Symbol('TWILIO_CLIENT');
