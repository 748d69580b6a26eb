import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelSums } from '../ingest/ledger-write.repository';

/**
 * Models get a label value each up to this many per process; later ones are counted as `other`. Model names come
 * from the events (free text up to 100 characters), and every label value is a series Prometheus keeps.
 */
export const MAX_MODEL_LABELS = 100;

/** Every metric the ledger-consumer exposes on /metrics (served by libs/platform's MetricsModule). */
@Injectable()
export class LedgerMetrics {
  readonly eventsApplied: Counter<'type'>;
  readonly tokens: Counter<'model' | 'direction'>;
  readonly costMicros: Counter<'model' | 'direction'>;
  readonly unpricedEvents: Counter<'model'>;
  private readonly models = new Set<string>();
  readonly duplicatesSkipped: Counter;
  readonly deadLetters: Counter<'reason'>;
  readonly conflictingDuplicates: Counter;
  readonly sequenceAnomalies: Counter<'kind'>;
  readonly erasures: Counter;
  readonly retentionDeleted: Counter<'kind'>;
  readonly retentionRuns: Counter<'kind' | 'outcome'>;
  readonly journalCompleteFrom: Gauge;
  readonly dlqPublished: Counter;
  readonly dlqUnpublished: Counter;
  readonly batches: Counter;
  readonly batchRetries: Counter<'step'>;
  readonly batchSize: Histogram;
  readonly batchDuration: Histogram;
  readonly consumerLag: Gauge<'topic' | 'partition'>;
  readonly committedOffset: Gauge<'topic' | 'partition'>;
  readonly offsetCommitFailures: Counter;
  readonly consumerUp: Gauge;
  readonly consumerCrashes: Counter<'restart'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.eventsApplied = new Counter({
      name: 'ledger_events_applied_total',
      help: 'Events newly written to the journal and folded into the totals, by event type.',
      labelNames: ['type'],
      registers,
    });
    this.tokens = new Counter({
      name: 'ledger_tokens_total',
      help: 'Tokens of the events newly applied, by model (none: no model named; other: beyond the first 100 models) and direction: spent (positive deltas) or credited (negative deltas, as a positive number).',
      labelNames: ['model', 'direction'],
      registers,
    });
    this.costMicros = new Counter({
      name: 'ledger_cost_micros_total',
      help: 'Cost of the events newly applied in micro-units of the price book currency, by model and direction (spent, or credited by negative deltas and repricing corrections). Unpriced events add nothing.',
      labelNames: ['model', 'direction'],
      registers,
    });
    this.unpricedEvents = new Counter({
      name: 'ledger_unpriced_events_total',
      help: 'Events newly applied without a price for their model at their time (their cost is unknown, never 0), by model.',
      labelNames: ['model'],
      registers,
    });
    this.duplicatesSkipped = new Counter({
      name: 'ledger_duplicates_skipped_total',
      help: 'Events whose id was already in the journal (redelivery or republish); nothing was changed.',
      registers,
    });
    this.deadLetters = new Counter({
      name: 'ledger_dead_letters_total',
      help: 'Records rejected into ledger.dead_letters, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.conflictingDuplicates = new Counter({
      name: 'ledger_conflicting_duplicates_total',
      help: 'Events whose id was already applied with another payload; dead-lettered as conflicting_duplicate, not counted.',
      registers,
    });
    this.sequenceAnomalies = new Counter({
      name: 'ledger_sequence_anomalies_total',
      help: 'Per-user sequence numbers out of line, by kind: gap (numbers skipped) or reorder (a late arrival).',
      labelNames: ['kind'],
      registers,
    });
    this.erasures = new Counter({
      name: 'ledger_user_erasures_total',
      help: 'user.erased events carried out (the user pseudonymised in journal and balances); a replayed one counts again.',
      registers,
    });
    this.retentionDeleted = new Counter({
      name: 'ledger_retention_rows_total',
      help: 'Rows removed by retention, by kind: dead_letters (DEAD_LETTER_RETENTION), journal_entries (folded by JOURNAL_RETENTION).',
      labelNames: ['kind'],
      registers,
    });
    this.retentionRuns = new Counter({
      name: 'ledger_retention_runs_total',
      help: 'Retention sweeps by kind and outcome (ok, failed).',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.journalCompleteFrom = new Gauge({
      name: 'ledger_journal_complete_from_seconds',
      help: 'Unix time from which the journal lists every entry (older ones are folded into the balances); 0 while nothing was folded.',
      registers,
    });
    this.dlqPublished = new Counter({ name: 'ledger_dlq_published_total', help: 'Rejected records published to the DLQ topic.', registers });
    this.dlqUnpublished = new Counter({
      name: 'ledger_dlq_unpublished_total',
      help: 'Rejected records kept in ledger.dead_letters whose DLQ copy failed (dlq_published_at null; ledger:dlq-redrive publishes them).',
      registers,
    });
    this.batches = new Counter({ name: 'ledger_batches_total', help: 'Batches applied and committed.', registers });
    this.batchRetries = new Counter({
      name: 'ledger_batch_retries_total',
      help: 'Failed attempts to apply or finish a batch (database or DLQ unavailable), by step.',
      labelNames: ['step'],
      registers,
    });
    this.batchSize = new Histogram({
      name: 'ledger_batch_size',
      help: 'Records per applied batch.',
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
      registers,
    });
    this.batchDuration = new Histogram({
      name: 'ledger_batch_duration_seconds',
      help: 'Time from receiving a batch to committing its offsets, retries included.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.consumerLag = new Gauge({
      name: 'ledger_consumer_lag',
      help: 'Records behind the high watermark per owned partition after the last committed batch (high watermark - committed offset).',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.committedOffset = new Gauge({
      name: 'ledger_consumer_committed_offset',
      help: 'Offset committed for the partition (the next record to read).',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.offsetCommitFailures = new Counter({
      name: 'ledger_offset_commit_failures_total',
      help: 'Offset commits that failed after their batch committed in the database (the batch is read again and skipped by event id).',
      registers,
    });
    this.consumerUp = new Gauge({ name: 'ledger_consumer_up', help: '1 while the consumer is a member of its group, else 0.', registers });
    this.consumerCrashes = new Counter({
      name: 'ledger_consumer_crashes_total',
      help: 'kafkajs consumer crashes, by who restarts it: kafkajs, ledger (a new consumer after a broker outage) or none (fatal: the process exits).',
      labelNames: ['restart'],
      registers,
    });
  }

  /** Counts one batch's tokens and cost by model (ApplyBatchUseCase, after its transaction committed). */
  countByModel(sums: readonly ModelSums[]): void {
    for (const m of sums) {
      const model = this.modelLabel(m.model);
      if (m.tokens_spent) this.tokens.inc({ model, direction: 'spent' }, m.tokens_spent);
      if (m.tokens_credited) this.tokens.inc({ model, direction: 'credited' }, m.tokens_credited);
      if (m.cost_spent_micros) this.costMicros.inc({ model, direction: 'spent' }, m.cost_spent_micros);
      if (m.cost_credited_micros) this.costMicros.inc({ model, direction: 'credited' }, m.cost_credited_micros);
      if (m.unpriced) this.unpricedEvents.inc({ model }, m.unpriced);
    }
  }

  private modelLabel(model: string | null): string {
    if (model === null) return 'none';
    if (this.models.has(model)) return model;
    if (this.models.size >= MAX_MODEL_LABELS) return 'other';
    this.models.add(model);
    return model;
  }
}
