/** Injection token of the calls module's options with defaults applied. */
export const RESOLVED_CALLS_OPTIONS = Symbol('RESOLVED_CALLS_OPTIONS');
