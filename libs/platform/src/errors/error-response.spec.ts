import { NotFoundException } from '@nestjs/common';
import { DomainError } from './domain-error';
import { ErrorCode } from './error-code';
import { ERROR_HTTP_STATUS } from './error-http-status';
import { toErrorResponse } from './error-response';

describe('toErrorResponse', () => {
  it('maps every domain error code to a status', () => {
    for (const code of Object.values(ErrorCode)) {
      const out = toErrorResponse(new DomainError(code, 'm'));
      expect(out.status).toBe(ERROR_HTTP_STATUS[code]);
      expect(out.body.error.code).toBe(code);
    }
  });

  it('maps framework 404s and body-parser errors, and hides unknown errors behind a 500', () => {
    expect(toErrorResponse(new NotFoundException('Cannot GET /x'))).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(toErrorResponse({ type: 'entity.parse.failed', status: 400 })).toMatchObject({ status: 400, body: { error: { code: 'MALFORMED_JSON' } } });
    expect(toErrorResponse({ type: 'entity.too.large', status: 413 })).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    const unknown = toErrorResponse(new Error('connection refused to 10.0.0.1 password=secret'));
    expect(unknown).toMatchObject({ status: 500, unexpected: true, body: { error: { code: 'INTERNAL', message: 'internal error' } } });
  });
});
