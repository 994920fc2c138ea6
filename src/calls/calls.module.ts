import { Module } from '@nestjs/common';
import { CALL_STORE } from './call-store.interface.js';
import { CallStoreLifecycle } from './call-store.lifecycle.js';
import { CALLS_MODULE_OPTIONS, ConfigurableCallsModule } from './calls.module-definition.js';
import { RESOLVED_CALLS_OPTIONS } from './calls.constants.js';
import { resolveCallsOptions, type CallsModuleOptions, type ResolvedCallsOptions } from './calls.options.js';
import { CallsService } from './calls.service.js';
import { createCallStore } from './create-call-store.js';

/**
 * Calls and their store, at the bottom of the dependency graph. Import once with `forRoot({ isGlobal: true })` (the
 * Retell, Twilio and media modules expect {@link CallsService} to be visible). `databaseUrl` picks the store:
 * SQLite by default, PostgreSQL to share calls between instances, `memory:` for none; the schema is migrated at boot.
 */
@Module({
  providers: [
    { provide: RESOLVED_CALLS_OPTIONS, useFactory: resolveCallsOptions, inject: [CALLS_MODULE_OPTIONS] },
    {
      provide: CALL_STORE,
      useFactory: (o: ResolvedCallsOptions) => o.store ?? createCallStore(o.target, o),
      inject: [RESOLVED_CALLS_OPTIONS],
    },
    CallStoreLifecycle,
    CallsService,
  ],
  exports: [CALL_STORE, CallsService],
})
export class CallsModule extends ConfigurableCallsModule {}

export type { CallsModuleOptions };
