import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { LedgerConfig } from '../config/ledger.config';
import { LedgerMetrics } from '../metrics/ledger-metrics';
import { LedgerRetentionRepository } from './ledger-retention.repository';

export type LedgerRetentionKind = 'dead_letters' | 'journal_entries';

/**
 * The ledger's retention windows, swept every RETENTION_INTERVAL in batches of RETENTION_BATCH_SIZE rows (each
 * its own short transaction, like the outbox's retention), so a sweep never holds locks for long:
 * - DEAD_LETTER_RETENTION (default 30 days): dead letters are deleted by age.
 * - JOURNAL_RETENTION (default keep): entries older than the window (whole UTC hours) are folded away.
 * Several instances may sweep at once: dead letters are claimed with SKIP LOCKED, fold batches take turns.
 */
@Injectable()
export class LedgerRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LedgerRetentionService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<Record<LedgerRetentionKind, number>>;
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly repo: LedgerRetentionRepository,
    private readonly config: LedgerConfig,
    private readonly metrics: LedgerMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.runOnce().catch(() => undefined), this.config.RETENTION_INTERVAL);
    this.timer.unref();
    void this.refreshGauge().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One sweep of every window (a sweep already under way is joined, not doubled). */
  runOnce(): Promise<Record<LedgerRetentionKind, number>> {
    if (this.running) return this.running;
    this.running = (async () => ({
      dead_letters: await this.sweep('dead_letters', this.config.DEAD_LETTER_RETENTION, (limit) =>
        this.repo.deleteExpiredDeadLetters(this.dataSource.manager, this.config.DEAD_LETTER_RETENTION, limit),
      ),
      journal_entries: await this.foldJournal(),
    }))().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async foldJournal(): Promise<number> {
    const window = this.config.JOURNAL_RETENTION;
    if (window === 0) return 0;
    const horizon = await this.repo.horizon(this.dataSource.manager, window);
    const folded = await this.sweep('journal_entries', window, (limit) =>
      this.dataSource.transaction((manager) => this.repo.foldBatch(manager, horizon, limit)),
    );
    await this.refreshGauge();
    return folded;
  }

  private async refreshGauge(): Promise<void> {
    const from = await this.repo.completeFrom(this.dataSource.manager);
    this.metrics.journalCompleteFrom.set(from ? from.getTime() / 1000 : 0);
  }

  /** Runs `batch` until it removes fewer rows than a full batch; 0 ms windows mean keep. */
  private async sweep(kind: LedgerRetentionKind, windowMs: number, batch: (limit: number) => Promise<number>): Promise<number> {
    if (windowMs === 0) return 0;
    const limit = this.config.RETENTION_BATCH_SIZE;
    let total = 0;
    try {
      for (;;) {
        const n = await batch(limit);
        total += n;
        this.metrics.retentionDeleted.inc({ kind }, n);
        if (n < limit || this.stopping) break;
      }
      this.metrics.retentionRuns.inc({ kind, outcome: 'ok' });
      if (total > 0) this.logger.log({ msg: 'retention sweep', kind, rows: total });
      return total;
    } catch (error) {
      // A missed sweep only delays retention; the next interval tries again.
      this.metrics.retentionRuns.inc({ kind, outcome: 'failed' });
      this.logger.warn({ msg: 'retention sweep failed', kind, error: (error as Error).message });
      throw error;
    }
  }
}
