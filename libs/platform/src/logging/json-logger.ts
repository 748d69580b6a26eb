import { LoggerService } from '@nestjs/common';
import { requestContext } from './request-context';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
/** Nest's boot chatter (one line per module and route) is debug, so info shows what operators need. */
const FRAMEWORK_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/**
 * One JSON object per line on stdout. Callers log ids and counts, never message contents or token
 * values: those belong to the data, not to the logs (debug level may carry more for local work).
 */
export class JsonLogger implements LoggerService {
  constructor(
    private readonly service: string,
    private readonly level: LogLevel = 'info',
    private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  ) {}

  private emit(level: LogLevel, message: unknown, context?: string, extra?: Record<string, unknown>): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const ctx = requestContext.getStore();
    const entry: Record<string, unknown> = {
      time: new Date().toISOString(),
      level,
      service: this.service,
      ...(context ? { context } : {}),
      ...(ctx ? { request_id: ctx.requestId, ...(ctx.userId ? { user_id: ctx.userId } : {}) } : {}),
    };
    if (message && typeof message === 'object' && !(message instanceof Error)) Object.assign(entry, message);
    else entry.msg = message instanceof Error ? message.message : String(message);
    if (extra) Object.assign(entry, extra);
    this.write(JSON.stringify(entry));
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
}

function contextOf(params: unknown[]): string | undefined {
  const last = params[params.length - 1];
  return typeof last === 'string' ? last : undefined;
}
