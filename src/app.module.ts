import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ApiModule } from './api/api.module.js';
import { CallsModule } from './calls/calls.module.js';
import { CallsService } from './calls/calls.service.js';
import { APP_ENV, appEnvConfig, type EnvSource } from './config/app-env.js';
import type { AppEnv } from './config/env.schema.js';
import { HealthModule } from './health/health.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { MediaModule } from './media/media.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { RetellModule } from './retell/retell.module.js';
import { TwilioModule } from './twilio/twilio.module.js';

/**
 * Options of {@link AppModule.forRoot}: the environment to read settings from (validated at boot), or settings
 * already validated (main.ts validates before Nest starts, to report a bad environment plainly). No `.env` file is
 * read here: main.ts loads it into the process environment first.
 */
export type AppModuleOptions = EnvSource;

/**
 * The callbridge service: every module composed by DI, each configured from the validated environment. Companies
 * embedding callbridge in their own Nest app import the modules they need the same way.
 */
@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    const fromEnv = <T>(pick: (env: AppEnv) => T) => ({ inject: [APP_ENV], useFactory: pick });
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [appEnvConfig(options)] }),
        LoggingModule.forRootAsync({ isGlobal: true, ...fromEnv((env) => ({ level: env.LOG_LEVEL })) }),
        MetricsModule,
        EventEmitterModule.forRoot({ wildcard: false, ignoreErrors: true }),
        CallsModule.forRootAsync({ isGlobal: true, ...fromEnv((env) => ({ databaseUrl: env.DATABASE_URL })) }),
        RetellModule.forRootAsync({
          isGlobal: true,
          ...fromEnv((env) => ({
            apiKey: env.RETELL_API_KEY,
            agentId: env.RETELL_AGENT_ID,
            baseUrl: env.RETELL_BASE_URL,
            sipDomain: env.RETELL_SIP_DOMAIN,
            registerTimeoutMs: env.RETELL_REGISTER_TIMEOUT_MS,
          })),
        }),
        TwilioModule.forRootAsync({
          isGlobal: true,
          ...fromEnv((env) => ({
            accountSid: env.TWILIO_ACCOUNT_SID,
            authToken: env.TWILIO_AUTH_TOKEN,
            phoneNumber: env.TWILIO_PHONE_NUMBER,
            apiBaseUrl: env.TWILIO_API_BASE_URL,
            publicUrl: env.PUBLIC_URL,
            fallbackMessage: env.FALLBACK_MESSAGE,
            fallbackNumber: env.FALLBACK_NUMBER,
          })),
        }),
        MediaModule.forRootAsync(
          fromEnv((env) => ({
            mode: env.MEDIA_MODE,
            agentStreamUrl: env.AGENT_STREAM_URL,
            audioProcessorOptions: { threadPriority: env.VAD_THREAD_PRIORITY },
          })),
        ),
        ApiModule.forRootAsync(fromEnv((env) => ({ token: env.API_TOKEN }))),
        HealthModule.forRootAsync({
          inject: [CallsService],
          useFactory: (calls: CallsService) => ({ readiness: { store: () => calls.ping() } }),
        }),
      ],
    };
  }
}
