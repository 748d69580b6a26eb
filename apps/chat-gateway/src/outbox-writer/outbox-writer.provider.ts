import { Logger, Provider } from '@nestjs/common';
import { OutboxWriter } from '@chat-ledger/outbox';
import { GatewayConfig } from '../config/gateway.config';

/**
 * BENCHMARK ONLY. Writes nothing, so `npm run bench` can measure what the outbox row costs the write
 * path (scenario 1c). With it every event is lost: Guarantee 1 no longer holds.
 */
class SkippingOutboxWriter extends OutboxWriter {
  override get storesRows(): boolean {
    return false;
  }

  override async append(): Promise<void> {
    // intentionally empty: see BENCH_SKIP_OUTBOX_WRITE
  }
}

/** The gateway's OutboxWriter: the real one unless BENCH_SKIP_OUTBOX_WRITE is set. */
export const outboxWriterProvider: Provider = {
  provide: OutboxWriter,
  inject: [GatewayConfig],
  useFactory: (config: GatewayConfig): OutboxWriter => {
    if (!config.BENCH_SKIP_OUTBOX_WRITE) return new OutboxWriter();
    new Logger('OutboxWriter').error({
      msg: 'BENCH_SKIP_OUTBOX_WRITE is set: messages and adjustments are stored WITHOUT outbox rows, no event reaches the ledger. Benchmarks only.',
    });
    return new SkippingOutboxWriter();
  },
};
