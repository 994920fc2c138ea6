import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import {
  ConfigurableLoggingModule,
  LOGGING_ASYNC_OPTIONS_TYPE,
  LOGGING_MODULE_OPTIONS,
  LOGGING_OPTIONS_TYPE,
} from './logging.module-definition.js';
import { resolveLoggingOptions, type LoggingModuleOptions } from './logging.options.js';
import { pinoParams } from './pino-params.js';

/**
 * Structured JSON logging through `nestjs-pino`: options validated here, then `LoggerModule` configured with
 * {@link pinoParams}. The app installs `nestjs-pino`'s `Logger` as Nest's logger (`app.useLogger(app.get(Logger))`), so
 * every `new Logger(Context)` in the code base writes JSON lines, with the request's bindings when there is one.
 */
@Module({})
export class LoggingModule extends ConfigurableLoggingModule {
  static override forRoot(options: typeof LOGGING_OPTIONS_TYPE = {}): DynamicModule {
    return withPino(super.forRoot(options));
  }

  static override forRootAsync(options: typeof LOGGING_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withPino(super.forRootAsync(options));
  }
}

/** The options provider(s) the builder made go where `LoggerModule`'s factory can inject them. */
function withPino(definition: DynamicModule): DynamicModule {
  return {
    module: definition.module,
    global: definition.global,
    imports: [
      LoggerModule.forRootAsync({
        imports: definition.imports,
        providers: definition.providers,
        inject: [LOGGING_MODULE_OPTIONS],
        useFactory: (options: LoggingModuleOptions) => pinoParams(resolveLoggingOptions(options)),
      }),
    ],
  };
}
