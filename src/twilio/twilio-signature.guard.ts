import { ForbiddenException, Injectable, Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { MetricsService } from '../metrics/metrics.service.js';
import { TwilioSignatureValidator } from './twilio-signature.validator.js';

/**
 * Lets a request through only when `X-Twilio-Signature` validates against the public URL. Guards run before pipes
 * and handlers, so an unsigned or forged webhook gets 403 and changes nothing. Rejections are counted.
 */
@Injectable()
export class TwilioSignatureGuard implements CanActivate {
  protected readonly logger = new Logger(TwilioSignatureGuard.name);

  constructor(
    protected readonly validator: TwilioSignatureValidator,
    protected readonly metrics: MetricsService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request & { rawBody?: Buffer }>();
    if (this.isValid(req)) return true;
    this.metrics.signatureRejections.inc({ source: 'twilio' });
    this.logger.warn({
      msg: 'twilio signature rejected',
      path: req.path,
      signed: Boolean(req.headers['x-twilio-signature']),
    });
    throw new ForbiddenException({ error: 'invalid_signature', message: 'Twilio signature missing or invalid' });
  }

  protected isValid(req: Request & { rawBody?: Buffer }): boolean {
    const params = typeof req.body === 'object' && req.body !== null && !Buffer.isBuffer(req.body) ? req.body : {};
    return this.validator.validateHttp({ url: req.originalUrl, headers: req.headers, params, rawBody: req.rawBody });
  }
}
