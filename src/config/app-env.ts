import { getConfigToken, registerAs } from '@nestjs/config';
import { parseEnv } from './parse-env.js';

/** Namespace of the validated environment in `@nestjs/config`. */
const NAMESPACE = 'callbridge';

/** Injection token of the validated {@link AppEnv}: `@Inject(APP_ENV) env: AppEnv`, or `inject: [APP_ENV]`. */
export const APP_ENV = getConfigToken(NAMESPACE);

/**
 * The `@nestjs/config` factory that validates `env` once, when the app's providers are built: a bad value fails
 * the boot with an {@link EnvValidationError} naming every bad variable.
 */
export function appEnvConfig(env: Readonly<Record<string, string | undefined>>) {
  return registerAs(NAMESPACE, () => parseEnv(env));
}
