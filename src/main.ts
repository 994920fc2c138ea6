import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { createApp } from './app.factory.js';
import { EnvValidationError } from './config/env-validation.error.js';
import { parseEnv } from './config/parse-env.js';

/**
 * Production entry point. Settings come from the environment, plus `.env` in the working directory for values the
 * environment does not set. They are validated before Nest starts, so a bad one stops the process with exit code 1
 * and a plain message naming each bad variable.
 */
async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  let env;
  try {
    env = parseEnv(process.env);
  } catch (err) {
    if (!(err instanceof EnvValidationError)) throw err;
    process.stderr.write(`callbridge: ${err.message}\n`);
    process.exit(1);
  }
  try {
    const app = await createApp({ validated: env });
    await app.listen(env.PORT);
    new Logger('Bootstrap').log({
      msg: 'callbridge listening',
      port: env.PORT,
      publicUrl: env.PUBLIC_URL,
      mediaMode: env.MEDIA_MODE,
    });
  } catch (err) {
    process.stderr.write(
      `callbridge: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  }
}

void main();
