import {
  Inject,
  Injectable,
  Logger,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request } from 'express';
import { verify } from 'retell-sdk';
import { MetricsService } from '../metrics/metrics.service.js';
import { RESOLVED_RETELL_OPTIONS, RETELL_SIGNATURE_HEADER } from './retell.constants.js';
import type { ResolvedRetellOptions } from './retell.options.js';

/**
 * Accepts a request only if `x-retell-signature` verifies over the exact raw body (the app must be created with
 * `rawBody: true`). `verify` is async in retell-sdk ≥ 5.50: it is awaited, since a bare Promise is truthy.
 * Runs before any pipe or handler, so a rejected request has no side effect but a count and a log line.
 */
@Injectable()
export class RetellSignatureGuard implements CanActivate {
  protected readonly logger = new Logger(RetellSignatureGuard.name);

  constructor(
    @Inject(RESOLVED_RETELL_OPTIONS) protected readonly options: ResolvedRetellOptions,
    protected readonly metrics: MetricsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { rawBody?: Buffer }>();
    const signature = req.headers[RETELL_SIGNATURE_HEADER];
    if (typeof signature !== 'string' || signature === '') return this.reject(req, 'missing signature');
    if (!req.rawBody) {
      this.logger.error('no raw body on the request: create the Nest app with { rawBody: true }');
      return this.reject(req, 'raw body unavailable');
    }
    if (!(await this.verify(req.rawBody, signature))) return this.reject(req, 'bad signature');
    return true;
  }

  /** Verifies one signature; a subclass may add key rotation by trying several keys. */
  protected verify(rawBody: Buffer, signature: string): Promise<boolean> {
    return verify(rawBody.toString('utf8'), this.options.apiKey, signature);
  }

  protected reject(req: Request, why: string): never {
    this.metrics.signatureRejections.inc({ source: 'retell' });
    this.logger.warn({ msg: 'retell signature rejected', why, path: req.path });
    throw new UnauthorizedException({ error: 'invalid_signature', message: `Retell signature rejected: ${why}` });
  }
}
