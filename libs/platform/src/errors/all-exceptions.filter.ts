import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { toErrorResponse } from './error-response';

/** Every error leaves the API as `{"error": {"code", "message", "details"}}`; only unexpected ones are logged. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const out = toErrorResponse(exception);
    if (out.unexpected) {
      this.logger.error(`unhandled error: ${(exception as Error)?.message ?? String(exception)}`, (exception as Error)?.stack);
    }
    if (res.headersSent) return;
    for (const [name, value] of Object.entries(out.headers)) res.setHeader(name, value);
    res.status(out.status).json(out.body);
  }
}
