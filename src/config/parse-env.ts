import { CONDITIONAL_RULES, EnvSchema, type AppEnv } from './env.schema.js';
import { EnvValidationError } from './env-validation.error.js';

/**
 * Validates the environment once. Throws {@link EnvValidationError} listing every bad variable.
 * The schema's messages are our own and never include the received value, so secrets stay out of logs.
 */
export function parseEnv(env: Readonly<Record<string, string | undefined>>): AppEnv {
  const result = EnvSchema.safeParse(env);
  const problems = (result.success ? [] : result.error.issues).map((issue) => ({
    variable: String(issue.path[0] ?? 'environment'),
    // zod's own type message would say "received undefined": say what it means.
    message: issue.code === 'invalid_type' ? 'is required' : issue.message,
  }));
  for (const rule of CONDITIONAL_RULES) {
    if (rule.violated(env)) problems.push({ variable: rule.variable, message: rule.message });
  }
  if (result.success && problems.length === 0) return result.data;
  throw new EnvValidationError(problems);
}
