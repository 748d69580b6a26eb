import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';
import { activeTraceIds } from '@chat-ledger/telemetry';
import { requestContext } from './request-context';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Nest's boot chatter (one line per module and route) is debug, so info shows what operators need. */
const FRAMEWORK_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/**
 * Keys whose values never reach a log line, at the top of a logged object or one level down.
 * Callers already log ids and counts only; these rules catch what slips through (a DTO, a request,
 * a config object logged whole): message contents, token counts, credentials and secrets.
 */
const REDACTED_KEYS = [
  // message contents and usage
  'content',
  'prompt',
  'completion',
  'messages',
  'usage',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'reasoning_tokens',
  'total_tokens',
  // bearer tokens and headers that carry them
  'token',
  'access_token',
  'refresh_token',
  'authorization',
  'Authorization',
  'cookie',
  // secrets and passwords
  'JWT_SECRET',
  'secret',
  'password',
  'KAFKA_SASL_PASSWORD',
  'KAFKA_SSL_KEY',
  // may carry a tracing vendor's API key
  'OTEL_EXPORTER_OTLP_HEADERS',
];
/** Connection strings keep their host and database (useful when debugging) but lose the credentials. */
const URL_KEYS = ['DATABASE_URL', 'databaseUrl', 'connectionString'];
const REDACT_PATHS = [...[...REDACTED_KEYS, ...URL_KEYS].flatMap((key) => [key, `*.${key}`]), 'req.headers.authorization', 'req.headers.cookie'];
const URL_KEY_SET = new Set(URL_KEYS);

function censor(value: unknown, path: string[]): unknown {
  if (URL_KEY_SET.has(path[path.length - 1]!) && typeof value === 'string') {
    return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1[redacted]@');
  }
  return '[redacted]';
}

export interface PinoLoggerOptions {
  /** The `service` field of every line. */
  service: string;
  level?: LogLevel;
  /**
   * Where lines go; default stdout, written asynchronously: lines written while a write is in flight go out together,
   * off the request path (a synchronous write per access-log line cost the gateway ~15% of its write throughput).
   * pino flushes what is left synchronously on the process's 'exit' event, which is why the apps stop through
   * enableGracefulShutdown (process.exit after the hooks) and not by re-raising the signal.
   */
  destination?: DestinationStream;
}

/** A destination that hands each line (without its newline) to `write`: tests capture logs with it. */
export function lineSink(write: (line: string) => void): DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) write(line);
    },
  };
}

/** The pino instance behind the Nest logger, configured the same way for every app. */
export function createPino(options: PinoLoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Every line written while a request is handled names it (and its user, once authenticated); while a span is
      // active (tracing on) the line names its trace and span, so a trace leads to its logs and back.
      mixin() {
        const ctx = requestContext.getStore();
        return {
          ...(ctx ? { request_id: ctx.requestId, ...(ctx.userId ? { user_id: ctx.userId } : {}) } : {}),
          ...activeTraceIds(),
        };
      },
      redact: { paths: REDACT_PATHS, censor },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * Nest's LoggerService on pino: one JSON object per line with `level`, `time`, `service`, `context`,
 * `msg` and the request context. An object message is merged into the line (`{ msg, ...fields }`).
 */
export class PinoLogger implements LoggerService {
  readonly pino: Logger;

  constructor(options: PinoLoggerOptions) {
    this.pino = createPino(options);
  }

  private emit(level: 'debug' | 'info' | 'warn' | 'error' | 'fatal', message: unknown, context?: string, extra?: Record<string, unknown>): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = { ...(context ? { context } : {}), ...extra };
    if (message && typeof message === 'object' && !(message instanceof Error)) this.pino[level]({ ...fields, ...message });
    else this.pino[level](fields, message instanceof Error ? message.message : String(message));
  }

  // Nest calls these as (message, ...optionalParams) where the last string is the context.
  log(message: unknown, ...params: unknown[]): void {
    const context = contextOf(params);
    this.emit(context && FRAMEWORK_CONTEXTS.has(context) ? 'debug' : 'info', message, context);
  }
  error(message: unknown, ...params: unknown[]): void {
    const stack = params.length > 1 && typeof params[0] === 'string' ? params[0] : undefined;
    this.emit('error', message, contextOf(params), stack ? { stack } : undefined);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.emit('warn', message, contextOf(params));
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.emit('debug', message, contextOf(params));
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.emit('debug', message, contextOf(params));
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.emit('fatal', message, contextOf(params));
  }
}

function contextOf(params: unknown[]): string | undefined {
  const last = params[params.length - 1];
  return typeof last === 'string' ? last : undefined;
}
