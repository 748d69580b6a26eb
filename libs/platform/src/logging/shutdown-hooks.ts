import type { INestApplicationContext } from '@nestjs/common';

/**
 * Nest's shutdown hooks (onModuleDestroy … onApplicationShutdown) on SIGTERM, SIGINT and the other stop signals,
 * ending with `process.exit(0)` once they are done.
 *
 * Nest's default ends the process by re-raising the signal, which kills it without an 'exit' event; the logger
 * writes asynchronously (off the request path) and flushes what is left on 'exit', so the shutdown's own lines
 * (the relay's last batch, "stopped") would be lost. A stop that ran its hooks exits 0.
 */
export function enableGracefulShutdown(app: INestApplicationContext): void {
  app.enableShutdownHooks([], { useProcessExit: true });
}
