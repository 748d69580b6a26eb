/**
 * BENCHMARK ONLY: chat-gateway whose use cases write no outbox rows, so scenario 1c can price the outbox row on the
 * write path. Messages, adjustments and their counters are stored as usual; no event is written, so none reaches the
 * ledger (Guarantee 1 does not hold here). bench/harness/bench-apps.ts starts it in place of the gateway's main.js;
 * the production gateway has no switch for this.
 */
import 'reflect-metadata';
import { OutboxWriter } from '@chat-ledger/outbox';
import { loadConfig, PinoLogger } from '@chat-ledger/platform';
import { createGatewayApp, GatewayConfig } from '../../apps/chat-gateway/src/index';

/** Appends nothing, and tells the one-statement message write to leave the outbox row out. */
export class NoOutboxWriter extends OutboxWriter {
  override get storesRows(): boolean {
    return false;
  }

  override async append(): Promise<void> {
    // nothing: pricing the outbox row is this process's only purpose
  }
}

async function main(): Promise<void> {
  const config = loadConfig(GatewayConfig, process.env);
  const logger = new PinoLogger({ service: 'chat-gateway', level: config.LOG_LEVEL });
  const app = await createGatewayApp(config, logger, { outboxWriter: new NoOutboxWriter() });
  await app.listen(config.PORT, config.HOST);
  logger.log({ msg: 'chat-gateway listening (benchmark build without outbox rows)', port: config.PORT, host: config.HOST }, 'Bootstrap');
}

main().catch((error) => {
  process.stderr.write(`gateway without outbox failed to start: ${error?.stack ?? error}\n`);
  process.exit(1);
});
