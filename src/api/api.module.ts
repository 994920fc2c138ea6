import { Module } from '@nestjs/common';
import { API_MODULE_OPTIONS, ConfigurableApiModule } from './api.module-definition.js';
import { RESOLVED_API_OPTIONS } from './api.constants.js';
import { resolveApiOptions } from './api.options.js';
import { ApiTokenGuard } from './api-token.guard.js';
import { CallsController } from './calls.controller.js';

/** `/calls`: outbound calls and call records, behind a bearer token. Needs CallsModule and TwilioModule (global). */
@Module({
  controllers: [CallsController],
  providers: [
    { provide: RESOLVED_API_OPTIONS, useFactory: resolveApiOptions, inject: [API_MODULE_OPTIONS] },
    ApiTokenGuard,
  ],
})
export class ApiModule extends ConfigurableApiModule {}
