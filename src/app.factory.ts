import type { NestExpressApplication } from '@nestjs/platform-express';
import { NestFactory } from '@nestjs/core';
import { AppModule, type AppModuleOptions } from './app.module.js';
import { Logger } from 'nestjs-pino';
import { createTwilioWsAdapter } from './media/twilio-ws.adapter.js';

/**
 * Builds the app as production runs it (main.ts), and as the demo, benchmark and end-to-end tests boot it in-process:
 * raw bodies kept for signature checks, the Twilio frame parser on the `ws` adapter, JSON logs (`nestjs-pino`), shutdown
 * hooks.
 * The caller calls `listen`.
 */
export async function createApp(options: AppModuleOptions): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options), {
    rawBody: true,
    bufferLogs: true,
    // Throw instead of exiting, so main.ts reports a bad environment its own way and tests can assert on it.
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.useWebSocketAdapter(createTwilioWsAdapter(app));
  // Twilio posts small forms; nothing legitimate is large.
  app.useBodyParser('urlencoded', { extended: false, limit: '64kb' });
  app.useBodyParser('json', { limit: '1mb' });
  app.enableShutdownHooks();
  return app;
}
