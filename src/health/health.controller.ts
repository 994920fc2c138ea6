import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, MemoryHealthIndicator } from '@nestjs/terminus';
import { ShutdownState } from './shutdown-state.js';

/** Liveness and readiness for orchestrators (Kubernetes probes, compose healthchecks). */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly memory: MemoryHealthIndicator,
    private readonly shutdown: ShutdownState,
  ) {}

  /** The process answers: restart it if not. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([
      () => this.indicators.check('process').up({ uptimeSeconds: Math.round(process.uptime()) }),
    ]);
  }

  /** Should get traffic: not draining, heap within bounds. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => {
        const session = this.indicators.check('shutdown');
        return this.shutdown.isDraining ? session.down({ message: 'draining' }) : session.up();
      },
      () => this.memory.checkHeap('heap', 1.5 * 1024 * 1024 * 1024),
    ]);
  }
}
