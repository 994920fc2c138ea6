import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';

/**
 * Flips to "draining" when shutdown begins, so readiness fails and the load balancer stops sending new calls while
 * in-flight webhooks finish (Nest's close waits for open requests).
 */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  private draining = false;

  get isDraining(): boolean {
    return this.draining;
  }

  beforeApplicationShutdown(): void {
    this.draining = true;
  }
}
