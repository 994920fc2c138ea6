/** Resolved {@link MediaModuleOptions}. */
export const RESOLVED_MEDIA_OPTIONS = Symbol('RESOLVED_MEDIA_OPTIONS');

/** The event name the frame parser gives a frame it rejected, so the gateway can count it. */
export const REJECTED_FRAME = 'callbridge:rejected-frame';

/** WebSocket close codes the gateway uses (RFC 6455 §7.4.1). */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  policyViolation: 1008,
  tooBig: 1009,
  internalError: 1011,
} as const;
