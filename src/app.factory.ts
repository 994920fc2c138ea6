import type { NestExpressApplication } from '@nestjs/platform-express';
import { NestFactory } from '@nestjs/core';
import { AppModule, type AppModuleOptions } from './app.module.js';
import { Logger } from 'nestjs-pino';
import { CALLBRIDGE_NEST_OPTIONS, setupCallbridge } from './host-setup.js';

/**
 * Builds the app as production runs it (main.ts), and as the demo, benchmark and end-to-end tests boot it in-process:
 * raw bodies kept for signature checks, the Twilio frame parser on the `ws` adapter, JSON logs (`nestjs-pino`), shutdown
 * hooks.
 * The caller calls `listen`.
 */
export async function createApp(options: AppModuleOptions): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options), {
    ...CALLBRIDGE_NEST_OPTIONS,
    bufferLogs: true,
    // Throw instead of exiting, so main.ts reports a bad environment its own way and tests can assert on it.
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  setupCallbridge(app);
  app.enableShutdownHooks();
  return app;
}
