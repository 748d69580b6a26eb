import { Injectable } from '@nestjs/common';
import { MetricsRegistry } from './metrics-registry';

/** Every metric the ledger-consumer exposes on /metrics. */
@Injectable()
export class LedgerMetrics {
  readonly registry = new MetricsRegistry();

  readonly eventsApplied = this.registry.counter('ledger_events_applied_total', 'Events newly written to the journal and folded into the totals, by event type.');
  readonly duplicatesSkipped = this.registry.counter('ledger_duplicates_skipped_total', 'Events whose id was already in the journal (redelivery or republish); nothing was changed.');
  readonly deadLetters = this.registry.counter('ledger_dead_letters_total', 'Records rejected into ledger.dead_letters, by reason.');
  readonly conflictingDuplicates = this.registry.counter(
    'ledger_conflicting_duplicates_total',
    'Events whose id was already applied with another payload; dead-lettered as conflicting_duplicate, not counted.',
  );
  readonly sequenceAnomalies = this.registry.counter('ledger_sequence_anomalies_total', 'Per-user sequence numbers out of line, by kind: gap (numbers skipped) or reorder (a late arrival).');
  readonly dlqPublished = this.registry.counter('ledger_dlq_published_total', 'Rejected records published to the DLQ topic.');
  readonly dlqUnpublished = this.registry.counter(
    'ledger_dlq_unpublished_total',
    'Rejected records kept in ledger.dead_letters whose DLQ copy failed (dlq_published_at null; ledger:dlq-redrive publishes them).',
  );
  readonly batches = this.registry.counter('ledger_batches_total', 'Batches applied and committed.');
  readonly batchRetries = this.registry.counter('ledger_batch_retries_total', 'Failed attempts to apply or finish a batch (database or DLQ unavailable), by step.');
  readonly batchSize = this.registry.histogram('ledger_batch_size', 'Records per applied batch.', [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000]);
  readonly batchDuration = this.registry.histogram(
    'ledger_batch_duration_seconds',
    'Time from receiving a batch to committing its offsets, retries included.',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  );
  readonly consumerLag = this.registry.gauge('ledger_consumer_lag', 'Records behind the high watermark per owned partition after the last committed batch (high watermark - committed offset).');
  readonly committedOffset = this.registry.gauge('ledger_consumer_committed_offset', 'Offset committed for the partition (the next record to read).');
  readonly consumerUp = this.registry.gauge('ledger_consumer_up', '1 while the consumer is a member of its group, else 0.');
  readonly consumerCrashes = this.registry.counter('ledger_consumer_crashes_total', 'kafkajs consumer crashes, by who restarts it: kafkajs, ledger (a new consumer after a broker outage) or none (fatal: the process exits).');

  render(): string {
    return this.registry.render();
  }
}
