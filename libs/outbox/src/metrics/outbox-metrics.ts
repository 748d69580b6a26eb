import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Reads the scrape-time gauges (from chat.outbox and the relay's state) and sets them. */
export type OutboxGaugeSource = (metrics: OutboxMetrics) => Promise<void>;

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

  private source?: OutboxGaugeSource;
  private refreshing?: Promise<void>;

  constructor(registry: Registry) {
    const registers = [registry];
    // prom-client runs each gauge's collect() at scrape time, all of them at once: they share one refresh.
    const collect = () => this.refresh();
    this.pendingRows = new Gauge({
      name: 'outbox_pending_rows',
      help: 'Rows in outbox.events waiting to be published (including retrying ones).',
      registers,
      collect,
    });
    this.oldestPendingAge = new Gauge({
      name: 'outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest pending row; 0 when none is pending.',
      registers,
      collect,
    });
    this.deadRows = new Gauge({
      name: 'outbox_dead_rows',
      help: 'Rows that exhausted their publish attempts (each holds back the later rows of its user).',
      registers,
      collect,
    });
    this.published = new Counter({ name: 'outbox_published_total', help: 'Rows published to Kafka by this process.', registers });
    this.publishErrors = new Counter({
      name: 'outbox_publish_errors_total',
      help: 'Failed Kafka sends (each fails a whole batch) by this process.',
      registers,
    });
    this.deadLettered = new Counter({ name: 'outbox_dead_lettered_total', help: 'Rows this process marked dead after the last allowed attempt.', registers });
    this.batchDuration = new Histogram({
      name: 'outbox_publish_batch_duration_seconds',
      help: 'One relay batch: claim, Kafka send and marking the rows, in seconds.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.shardsHeld = new Gauge({ name: 'outbox_relay_shards_held', help: 'Shard leases held by the relay in this process.', registers, collect });
    this.kafkaUp = new Gauge({
      name: 'outbox_relay_kafka_up',
      help: '1 when the relay producer is connected and its last send succeeded.',
      registers,
      collect,
    });
  }

  /** Set by the relay's host; without one the gauges keep what the relay last set. */
  setGaugeSource(source: OutboxGaugeSource): void {
    this.source = source;
  }

  private refresh(): Promise<void> {
    if (!this.source) return Promise.resolve();
    this.refreshing ??= this.source(this)
      // A scrape still answers with what is known; the stale gauge shows the problem.
      .catch(() => undefined)
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }
}
