import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CALL_STORE, type CallStore } from './call-store.interface.js';
import { RESOLVED_CALLS_OPTIONS } from './calls.constants.js';
import type { ResolvedCallsOptions } from './calls.options.js';

/**
 * Says which store the app runs on, and closes the database the module opened once the app has shut down (after
 * every `beforeApplicationShutdown` hook, so media sessions have written their final figures). A store passed in
 * `store` belongs to the app that made it and is left open.
 */
@Injectable()
export class CallStoreLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CallStore');

  constructor(
    @Inject(CALL_STORE) private readonly store: CallStore,
    @Inject(RESOLVED_CALLS_OPTIONS) private readonly options: ResolvedCallsOptions,
  ) {}

  onApplicationBootstrap(): void {
    const t = this.options.target;
    if (this.options.store) this.logger.log({ msg: 'call store: provided by the app' });
    // Never the PostgreSQL URL itself: it may carry a password.
    else
      this.logger.log({ msg: 'call store ready', backend: t.kind, ...(t.kind === 'sqlite' ? { path: t.path } : {}) });
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.options.store) await this.store.close();
  }
}
