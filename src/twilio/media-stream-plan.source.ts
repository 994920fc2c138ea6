import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { MEDIA_STREAM_PLAN, NO_MEDIA_STREAM, type MediaStreamPlan } from './media-stream-plan.port.js';

/**
 * The {@link MediaStreamPlan} the voice webhook follows: whatever the app provides under {@link MEDIA_STREAM_PLAN}
 * (MediaModule does), looked up across the app once every provider exists; {@link NO_MEDIA_STREAM} when nothing does.
 * A lookup rather than an injection, so the plan's owner needs neither to be global nor imported by TwilioModule.
 */
@Injectable()
export class MediaStreamPlanSource implements OnModuleInit {
  private plan: MediaStreamPlan = NO_MEDIA_STREAM;

  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    try {
      this.plan = this.moduleRef.get<MediaStreamPlan>(MEDIA_STREAM_PLAN, { strict: false });
    } catch {
      this.plan = NO_MEDIA_STREAM;
    }
  }

  get current(): MediaStreamPlan {
    return this.plan;
  }
}
