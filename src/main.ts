import { Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { APP_ENV } from './config/app-env.js';
import type { AppEnv } from './config/env.schema.js';
import { EnvValidationError } from './config/env-validation.error.js';

/** Production entry point: settings from the environment (and `.env`), listens on `PORT`. */
async function main(): Promise<void> {
  try {
    const app = await createApp();
    const env = app.get<AppEnv>(APP_ENV);
    await app.listen(env.PORT);
    new Logger('Bootstrap').log({ msg: 'callbridge listening', port: env.PORT, publicUrl: env.PUBLIC_URL, mediaMode: env.MEDIA_MODE });
  } catch (err) {
    if (err instanceof EnvValidationError) {
      process.stderr.write(`callbridge: ${err.message}\n`);
    } else {
      process.stderr.write(`callbridge: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exit(1);
  }
}

void main();
