import { Body, Controller, HttpCode, Logger, NotFoundException, Param, Post, UseGuards } from '@nestjs/common';
import { CallLogContext } from '../logging/call-log-context.js';
import { parseRetellFunctionCall } from '../protocol/retell-events.js';
import { RetellFunctionRegistry } from './retell-function.registry.js';
import { RetellSignatureGuard } from './retell-signature.guard.js';

/** `POST /retell/functions/:name`: Retell custom functions, routed to the {@link RetellFunctionRegistry}. */
@Controller('retell/functions')
@UseGuards(RetellSignatureGuard)
export class RetellFunctionsController {
  private readonly logger = new Logger(RetellFunctionsController.name);

  constructor(
    private readonly registry: RetellFunctionRegistry,
    private readonly logContext: CallLogContext,
  ) {}

  @Post(':name')
  @HttpCode(200)
  async invoke(@Param('name') name: string, @Body() body: unknown): Promise<unknown> {
    const handler = this.registry.get(name);
    if (!handler) {
      throw new NotFoundException({ error: 'unknown_function', message: `No custom function named "${name}"` });
    }
    const call = parseRetellFunctionCall(name, body);
    const sid = call.call?.metadata && (call.call.metadata as Record<string, unknown>)['twilio_call_sid'];
    this.logContext.assign({ callSid: typeof sid === 'string' ? sid : undefined, retellCallId: call.call?.call_id });
    const started = performance.now();
    const result = await handler(call);
    this.logger.log({ msg: 'retell function answered', function: name, ms: Math.round(performance.now() - started) });
    // Retell passes the answer to the agent as-is; a plain string is wrapped so the body is always JSON.
    return typeof result === 'string' ? { result } : (result ?? { result: 'ok' });
  }
}
