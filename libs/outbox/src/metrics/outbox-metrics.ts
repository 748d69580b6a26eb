import { Counter, Gauge, Histogram, MetricsRegistry } from './metrics-registry';

/** The outbox's metrics: what the relay counts in process, and gauges read from outbox.events at scrape time. */
export class OutboxMetrics {
  readonly published: Counter;
  readonly publishErrors: Counter;
  readonly deadLettered: Counter;
  readonly batchDuration: Histogram;
  readonly pendingRows: Gauge;
  readonly deadRows: Gauge;
  readonly oldestPendingAge: Gauge;
  readonly shardsHeld: Gauge;
  readonly kafkaUp: Gauge;

  constructor(readonly registry: MetricsRegistry) {
    this.pendingRows = registry.gauge('outbox_pending_rows', 'Rows in outbox.events waiting to be published (including retrying ones).');
    this.oldestPendingAge = registry.gauge('outbox_oldest_pending_age_seconds', 'Age of the oldest pending row; 0 when none is pending.');
    this.deadRows = registry.gauge('outbox_dead_rows', 'Rows that exhausted their publish attempts (each holds back its shard).');
    this.published = registry.counter('outbox_published_total', 'Rows published to Kafka by this process.');
    this.publishErrors = registry.counter('outbox_publish_errors_total', 'Failed Kafka sends (each fails a whole batch) by this process.');
    this.deadLettered = registry.counter('outbox_dead_lettered_total', 'Rows this process marked dead after the last allowed attempt.');
    this.batchDuration = registry.histogram(
      'outbox_publish_batch_duration_seconds',
      'One relay batch: claim, Kafka send and marking the rows, in seconds.',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    );
    this.shardsHeld = registry.gauge('outbox_relay_shards_held', 'Shard leases held by the relay in this process.');
    this.kafkaUp = registry.gauge('outbox_relay_kafka_up', '1 when the relay producer is connected and its last send succeeded.');
  }
}
