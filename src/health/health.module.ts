import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { ConfigurableHealthModule } from './health.module-definition.js';
import { ShutdownState } from './shutdown-state.js';

/**
 * `/health/live` and `/health/ready`. Import bare, or with `forRoot({ readiness })` / `forRootAsync` to make
 * readiness depend on the app's dependencies (the call store's database).
 */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [ShutdownState],
  exports: [ShutdownState],
})
export class HealthModule extends ConfigurableHealthModule {}
