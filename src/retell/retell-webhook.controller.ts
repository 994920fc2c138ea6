import { BadRequestException, Body, Controller, HttpCode, Logger, Post, UseGuards } from '@nestjs/common';
import { RETELL_EVENTS, RetellWebhookSchema } from '../protocol/retell-events.js';
import { RetellEventsService } from './retell-events.service.js';
import { RetellSignatureGuard } from './retell-signature.guard.js';

/**
 * `POST /retell/webhook`: Retell's call events. Verified, stored once, answered 204. Retell retries non-2xx
 * deliveries, so an event type we do not know yet is acknowledged, not refused.
 */
@Controller('retell')
@UseGuards(RetellSignatureGuard)
export class RetellWebhookController {
  private readonly logger = new Logger(RetellWebhookController.name);

  constructor(private readonly events: RetellEventsService) {}

  @Post('webhook')
  @HttpCode(204)
  async webhook(@Body() body: unknown): Promise<void> {
    const event = (body as { event?: unknown } | null)?.event;
    if (typeof event === 'string' && !(RETELL_EVENTS as readonly string[]).includes(event)) {
      this.logger.log({ msg: 'retell event type not handled, acknowledged', event });
      return;
    }
    const parsed = RetellWebhookSchema.safeParse(body);
    if (!parsed.success) {
      throw new BadRequestException({
        error: 'invalid_event',
        message: parsed.error.issues.map((i) => i.message).join('; '),
      });
    }
    await this.events.apply(parsed.data);
  }
}
