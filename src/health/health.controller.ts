import { Controller, Get, Inject, Optional } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  MemoryHealthIndicator,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import { HEALTH_MODULE_OPTIONS } from './health.module-definition.js';
import type { HealthModuleOptions } from './health.options.js';
import { ShutdownState } from './shutdown-state.js';

/** Liveness and readiness for orchestrators (Kubernetes probes, compose healthchecks). */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly memory: MemoryHealthIndicator,
    private readonly shutdown: ShutdownState,
    @Optional() @Inject(HEALTH_MODULE_OPTIONS) private readonly options: HealthModuleOptions = {},
  ) {}

  /** The process answers: restart it if not. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([
      () => this.indicators.check('process').up({ uptimeSeconds: Math.round(process.uptime()) }),
    ]);
  }

  /** Should get traffic: not draining, heap within bounds, every readiness dependency (the store) answering. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => {
        const session = this.indicators.check('shutdown');
        return this.shutdown.isDraining ? session.down({ message: 'draining' }) : session.up();
      },
      () => this.memory.checkHeap('heap', 1.5 * 1024 * 1024 * 1024),
      ...Object.entries(this.options.readiness ?? {}).map(([name, check]) => this.dependency(name, check)),
    ]);
  }

  /** A terminus indicator for one dependency: up when `check` resolves in time, down with the reason otherwise. */
  private dependency(name: string, check: () => Promise<unknown>): HealthIndicatorFunction {
    return async () => {
      const session = this.indicators.check(name);
      const timeoutMs = this.options.readinessTimeoutMs ?? 2000;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return session.up();
      } catch (err) {
        return session.down({ message: err instanceof Error ? err.message : String(err) });
      } finally {
        clearTimeout(timer);
      }
    };
  }
}
