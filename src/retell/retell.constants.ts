/** Resolved {@link RetellModuleOptions} (defaults applied). */
export const RESOLVED_RETELL_OPTIONS = Symbol('RESOLVED_RETELL_OPTIONS');
/** The `retell-sdk` client instance. */
export const RETELL_CLIENT = Symbol('RETELL_CLIENT');
/** Header Retell signs webhooks and custom-function calls with. */
export const RETELL_SIGNATURE_HEADER = 'x-retell-signature';
