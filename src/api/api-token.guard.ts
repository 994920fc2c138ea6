import { Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { RESOLVED_API_OPTIONS } from './api.constants.js';
import type { ResolvedApiOptions } from './api.options.js';

/** `Authorization: Bearer <API_TOKEN>`, compared in constant time (hashes first, so lengths never leak either). */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  protected readonly expected: Buffer;

  constructor(@Inject(RESOLVED_API_OPTIONS) options: ResolvedApiOptions) {
    this.expected = createHash('sha256').update(options.token).digest();
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<Request>().headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (match && this.matches(match[1]!.trim())) return true;
    throw new UnauthorizedException({ error: 'unauthorized', message: 'A valid bearer token is required' });
  }

  protected matches(token: string): boolean {
    return timingSafeEqual(createHash('sha256').update(token).digest(), this.expected);
  }
}
