import { Injectable } from '@nestjs/common';
import type { RetellFunctionCall } from '../protocol/retell-events.js';

/**
 * Handles one Retell custom function. Whatever it returns (a string or a JSON-serialisable value) goes back to the
 * agent as the function's result.
 */
export type RetellFunctionHandler = (call: RetellFunctionCall) => unknown;

/**
 * The custom functions callbridge answers at `POST /retell/functions/:name`. Other modules add theirs (escalation
 * registers its hand-off) in `onModuleInit`.
 */
@Injectable()
export class RetellFunctionRegistry {
  private readonly handlers = new Map<string, RetellFunctionHandler>();

  /** @throws if `name` is taken: two handlers for one function is a wiring mistake, not a runtime choice. */
  register(name: string, handler: RetellFunctionHandler): void {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new Error(`Invalid Retell function name "${name}"`);
    if (this.handlers.has(name)) throw new Error(`Retell function "${name}" is already registered`);
    this.handlers.set(name, handler);
  }

  get(name: string): RetellFunctionHandler | undefined {
    return this.handlers.get(name);
  }

  names(): string[] {
    return [...this.handlers.keys()];
  }
}
