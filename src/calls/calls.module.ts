import { Module } from '@nestjs/common';
import { CALL_STORE } from './call-store.interface.js';
import { CALLS_MODULE_OPTIONS, ConfigurableCallsModule } from './calls.module-definition.js';
import { RESOLVED_CALLS_OPTIONS } from './calls.constants.js';
import { resolveCallsOptions, type CallsModuleOptions, type ResolvedCallsOptions } from './calls.options.js';
import { CallsService } from './calls.service.js';
import { InMemoryCallStore } from './in-memory-call-store.js';

/**
 * The call record and its store, at the bottom of the dependency graph. Import once with `forRoot({ isGlobal: true })`
 * (the Retell, Twilio and media modules expect {@link CallsService} to be visible) and pass `store` to persist
 * records elsewhere.
 */
@Module({
  providers: [
    { provide: RESOLVED_CALLS_OPTIONS, useFactory: resolveCallsOptions, inject: [CALLS_MODULE_OPTIONS] },
    {
      provide: CALL_STORE,
      useFactory: (o: ResolvedCallsOptions) => o.store ?? new InMemoryCallStore(o.maxRecords),
      inject: [RESOLVED_CALLS_OPTIONS],
    },
    CallsService,
  ],
  exports: [CALL_STORE, CallsService],
})
export class CallsModule extends ConfigurableCallsModule {}

export type { CallsModuleOptions };
