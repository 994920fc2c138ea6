import { getConfigToken, registerAs } from '@nestjs/config';
import type { AppEnv } from './env.schema.js';
import { parseEnv } from './parse-env.js';

/** Namespace of the validated environment in `@nestjs/config`. */
const NAMESPACE = 'callbridge';

/** Injection token of the validated {@link AppEnv}: `@Inject(APP_ENV) env: AppEnv`, or `inject: [APP_ENV]`. */
export const APP_ENV = getConfigToken(NAMESPACE);

/** Where the app's settings come from: a raw environment to validate, or one main.ts already validated. */
export type EnvSource = { readonly env: Readonly<Record<string, string | undefined>> } | { readonly validated: AppEnv };

/**
 * The `@nestjs/config` factory of the settings. A raw environment is validated once, when the app's providers are
 * built: a bad value fails the boot with an {@link EnvValidationError} naming every bad variable.
 */
export function appEnvConfig(source: EnvSource) {
  return registerAs(NAMESPACE, () => ('validated' in source ? source.validated : parseEnv(source.env)));
}
