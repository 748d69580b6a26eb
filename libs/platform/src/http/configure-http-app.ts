import { INestApplication, Logger } from '@nestjs/common';
import { SwaggerModule } from '@nestjs/swagger';
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import express, { NextFunction, Request, Response } from 'express';
import { AllExceptionsFilter } from '../errors/all-exceptions.filter';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { toErrorResponse } from '../errors/error-response';
import { createValidationPipe } from '../errors/validation.pipe';
import { enableGracefulShutdown } from '../logging/shutdown-hooks';
import { requestContext } from '../logging/request-context';
import { createOpenApiDocument, OPENAPI_JSON_PATH, OPENAPI_UI_PATH, OpenApiInfo } from './openapi';

export interface HttpAppOptions extends OpenApiInfo {
  bodyLimitBytes: number;
}

/** Keys that would reach Object.prototype through naive merges anywhere downstream. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function rejectDangerousKeys(key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) {
    throw new SyntaxError(`forbidden key "${key}"`);
  }
  return value;
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Everything both HTTP apps share: request ids and access logs, a strict JSON body parser whose
 * failures answer in the API's error format, validation, the error filter, security headers and docs.
 */
export function configureHttpApp(app: INestApplication, options: HttpAppOptions): void {
  const access = new Logger('Access');
  const server = app.getHttpAdapter().getInstance() as express.Express;
  server.disable('x-powered-by');
  server.set('etag', false);
  server.set('query parser', 'simple');

  server.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.header('x-request-id');
    const requestId = incoming && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cache-control', 'no-store');
    const started = process.hrtime.bigint();
    const ctx = { requestId } as { requestId: string; userId?: string };
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      requestContext.run(ctx, () =>
        access.log({ msg: 'request', method: req.method, path: req.path, status: res.statusCode, duration_ms: Math.round(ms * 10) / 10 }),
      );
    });
    requestContext.run(ctx, () => next());
  });

  server.use((req: Request, _res: Response, next: NextFunction) => {
    const hasBody = (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && ['POST', 'PUT', 'PATCH'].includes(req.method) && !req.is('application/json')) {
      return next(
        new DomainError(ErrorCode.UnsupportedMediaType, 'request body must be application/json', [
          { field: 'content-type', problem: 'must be application/json' },
        ]),
      );
    }
    next();
  });
  server.use(
    express.json({
      limit: options.bodyLimitBytes,
      strict: true,
      reviver: rejectDangerousKeys,
      // The decoder would silently turn invalid UTF-8 into U+FFFD and store it; reject it instead.
      verify: (_req, _res, buf) => {
        if (!isUtf8(buf)) throw Object.assign(new Error('request body is not valid UTF-8'), { type: 'encoding.invalid_utf8' });
      },
    }),
  );
  server.use((req: Request, _res: Response, next: NextFunction) => {
    // A JSON array or scalar is valid JSON but never a valid request body here.
    if (
      ['POST', 'PUT', 'PATCH'].includes(req.method) &&
      req.body !== undefined &&
      (typeof req.body !== 'object' || Array.isArray(req.body) || req.body === null)
    ) {
      return next(new DomainError(ErrorCode.ValidationFailed, 'request body must be a JSON object', [{ field: 'body', problem: 'must be a JSON object' }]));
    }
    next();
  });
  server.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    // body-parser rewraps the reviver's error and keeps only its message.
    const forbidden = /^forbidden key "(.+)"$/.exec((error as { message?: string })?.message ?? '');
    const out = forbidden ? toErrorResponse(DomainError.invalidField(forbidden[1]!, 'is a forbidden key')) : toErrorResponse(error);
    if (out.unexpected) new Logger('Http').error(`body parser error: ${(error as Error)?.message}`);
    for (const [name, value] of Object.entries(out.headers)) res.setHeader(name, value);
    res.status(out.status).json(out.body);
  });

  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  enableGracefulShutdown(app);

  // The document is built here and by `npm run openapi:types` (buildOpenApiDocument) the same way: createOpenApiDocument.
  const { title, description, version } = options;
  SwaggerModule.setup(OPENAPI_UI_PATH, app, createOpenApiDocument(app, { title, description, version }), { jsonDocumentUrl: OPENAPI_JSON_PATH });
}
