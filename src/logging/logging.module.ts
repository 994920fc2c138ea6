import { Module } from '@nestjs/common';
import { ConfigurableLoggingModule } from './logging.module-definition.js';
import { PinoLoggerService } from './pino-logger.service.js';

/**
 * Structured JSON logging. The app installs {@link PinoLoggerService} as Nest's logger (`app.useLogger`), so every
 * `new Logger(Context)` in the code base writes through it.
 */
@Module({ providers: [PinoLoggerService], exports: [PinoLoggerService] })
export class LoggingModule extends ConfigurableLoggingModule {}
