import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { lineSink, PinoLogger } from './pino-logger';
import { requestContext } from './request-context';

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'info') {
  const lines: string[] = [];
  const logger = new PinoLogger({ service: 'svc', level, destination: lineSink((line) => lines.push(line)) });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l)) };
}

describe('PinoLogger', () => {
  it('writes one JSON object per line with level, time, service, context, msg and the request context', () => {
    const { logger, parsed } = capture();
    logger.log('plain', 'Ctx');
    requestContext.run({ requestId: 'req-1', userId: 'alice' }, () => logger.warn({ msg: 'object', count: 3 }, 'Other'));
    logger.error('failed', 'stack line', 'Ctx');
    expect(parsed()).toEqual([
      { level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), service: 'svc', context: 'Ctx', msg: 'plain' },
      { level: 'warn', time: expect.any(String), service: 'svc', context: 'Other', msg: 'object', count: 3, request_id: 'req-1', user_id: 'alice' },
      { level: 'error', time: expect.any(String), service: 'svc', context: 'Ctx', stack: 'stack line', msg: 'failed' },
    ]);
  });

  it('drops lines below its level and turns Nest boot chatter into debug', () => {
    const { logger, parsed } = capture('info');
    logger.debug('hidden');
    logger.log('Mapped {/v1, GET} route', 'RouterExplorer');
    logger.verbose('hidden too');
    logger.log('shown');
    expect(parsed().map((l) => l.msg)).toEqual(['shown']);
  });

  it('redacts message contents, token counts, tokens, secrets and the credentials of connection strings', () => {
    const { logger, lines, parsed } = capture();
    logger.log({
      msg: 'careless',
      content: 'SECRET-CONTENT',
      usage: { prompt_tokens: 31337 },
      body: { content: 'SECRET-CONTENT', completion_tokens: 31337 },
      headers: { authorization: 'Bearer eyJ.secret.token' },
      req: { headers: { authorization: 'Bearer eyJ.secret.token' } },
      config: { JWT_SECRET: 'jwt-secret-value', DATABASE_URL: 'postgres://app:db-password@db:5432/chat', OTEL_EXPORTER_OTLP_HEADERS: 'api-key=otlp-key-value' },
      password: 'db-password',
    });
    expect(lines[0]).not.toMatch(/SECRET-CONTENT|31337|eyJ\.secret|jwt-secret-value|db-password|otlp-key-value/);
    expect(parsed()[0]).toMatchObject({
      content: '[redacted]',
      usage: '[redacted]',
      body: { content: '[redacted]', completion_tokens: '[redacted]' },
      headers: { authorization: '[redacted]' },
      config: { JWT_SECRET: '[redacted]', DATABASE_URL: 'postgres://[redacted]@db:5432/chat', OTEL_EXPORTER_OTLP_HEADERS: '[redacted]' },
    });
  });

  it('names the trace and span of the active span (tracing on), and neither without one', () => {
    const contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    try {
      const { logger, parsed } = capture();
      const span = trace.wrapSpanContext({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED });
      context.with(trace.setSpan(ROOT_CONTEXT, span), () => logger.log('inside', 'Ctx'));
      logger.log('outside', 'Ctx');
      expect(parsed()).toEqual([
        expect.objectContaining({ msg: 'inside', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' }),
        expect.not.objectContaining({ trace_id: expect.anything() }),
      ]);
    } finally {
      context.disable();
    }
  });
});
