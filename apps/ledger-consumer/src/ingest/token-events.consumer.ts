import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { context } from '@opentelemetry/api';
import type { Admin, Consumer, EachBatchPayload } from 'kafkajs';
import { assertTopicReady, isTransientKafkaError, withTimeout } from '@chat-ledger/kafka';
import { LedgerConfig } from '../config/ledger.config';
import { LedgerMetrics } from '../metrics/ledger-metrics';
import { ApplyBatchUseCase } from './apply-batch.use-case';
import { ABANDONED, retryWithBackoff } from './batch-retry';
import type { ConsumedRecord } from './consumed-record';
import { DeadLetterPublisher, dlqEntryOf } from './dead-letter-publisher';
import { KafkaClients } from './kafka-clients';
import { LedgerBatchTrace } from './ledger-batch-trace';

/** Called when the consumer cannot go on (crash that kafkajs will not restart): the process must exit. */
export const LEDGER_FATAL = Symbol('LEDGER_FATAL');
export type FatalHandler = (error: Error) => void;

export type ConsumerState = 'disabled' | 'starting' | 'joined' | 'rebalancing' | 'stopping' | 'stopped' | 'crashed';

/**
 * The Kafka side of the ledger: kafkajs eachBatch with auto-commit and auto-resolve off. Per batch:
 * decode, apply in one transaction (retried with backoff while heartbeating if the database is down),
 * copy dead letters to the DLQ topic (bounded, best effort), and only then commit the offset after the batch.
 * A crash before the commit means redelivery, which the journal's primary key turns into no-ops.
 */
@Injectable()
export class TokenEventsConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('LedgerConsumer');
  private consumer?: Consumer;
  /** The last offset commit of each partition (topic/partition), chained so they are sent in order. */
  private pendingCommits = new Map<string, Promise<void>>();
  private probeAdmin?: { admin: Admin; connected: boolean };
  private bootCrash?: Error;
  private booted = false;
  private stopping = false;
  private restartTimer?: NodeJS.Timeout;
  private restarts = 0;
  state: ConsumerState;
  lastError?: string;

  constructor(
    private readonly config: LedgerConfig,
    private readonly kafka: KafkaClients,
    private readonly applyBatch: ApplyBatchUseCase,
    private readonly dlq: DeadLetterPublisher,
    private readonly metrics: LedgerMetrics,
    @Inject(LEDGER_FATAL) private readonly fatal: FatalHandler,
  ) {
    this.state = config.KAFKA_CONSUMER_ENABLED ? 'starting' : 'disabled';
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.KAFKA_CONSUMER_ENABLED) return;
    const { KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: partitions } = this.config;
    await assertTopicReady(this.kafka.main, topic, partitions, { brokers: this.config.KAFKA_BROKERS });
    await this.dlq.start();
    await this.startConsumer();
    // kafkajs reports a failed first join as a CRASH event, not as a rejection of run().
    if (this.bootCrash) throw this.bootCrash;
    this.booted = true;
    this.logger.log({ msg: 'consumer started', topic, group_id: this.config.KAFKA_GROUP_ID, partitions });
  }

  private async startConsumer(): Promise<void> {
    const consumer = this.kafka.main.consumer({
      groupId: this.config.KAFKA_GROUP_ID,
      sessionTimeout: this.config.KAFKA_SESSION_TIMEOUT_MS,
      heartbeatInterval: this.config.heartbeatIntervalMs,
      maxWaitTimeInMs: this.config.KAFKA_MAX_WAIT_MS,
      maxBytesPerPartition: this.config.KAFKA_MAX_BYTES_PER_PARTITION,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    this.pendingCommits = new Map();
    this.watch(consumer);

    await consumer.connect();
    await consumer.subscribe({ topics: [this.config.KAFKA_TOPIC], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.config.KAFKA_PARTITIONS_CONCURRENCY,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  /**
   * A consumer kafkajs gave up on because the cluster was unreachable for longer than its own retries
   * (a broker restart can outlast them: "Failed to find group coordinator") is replaced by a new one, with
   * backoff, for as long as the outage lasts. Offsets were committed only after each batch's transaction,
   * so the new member resumes exactly where the group left off.
   */
  private scheduleRestart(): void {
    if (this.stopping || this.restartTimer) return;
    const delayMs = Math.min(30_000, 500 * 2 ** Math.min(this.restarts, 6));
    this.restarts += 1;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void (async () => {
        if (this.stopping) return;
        const old = this.consumer;
        this.consumer = undefined;
        await old?.disconnect().catch(() => undefined);
        if (this.stopping) return;
        this.logger.warn({ msg: 'restarting the Kafka consumer after a broker outage', attempt: this.restarts });
        await this.startConsumer().catch((error) => {
          this.lastError = `${(error as Error).name}: ${(error as Error).message}`;
          this.logger.warn({ msg: 'consumer restart failed, trying again', error: this.lastError });
          this.scheduleRestart();
        });
      })();
    }, delayMs);
  }

  /** SIGTERM / app.close(): kafkajs lets the batch in hand finish (or abandon its retry), then leaves the group. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    if (this.consumer) {
      this.state = 'stopping';
      await Promise.allSettled([...this.pendingCommits.values()]);
      await this.consumer.disconnect().catch((error) => this.logger.warn(`consumer disconnect failed: ${(error as Error).message}`));
      this.state = 'stopped';
      this.metrics.consumerUp.set(0);
    }
    await this.dlq.stop();
    await this.probeAdmin?.admin.disconnect().catch(() => undefined);
  }

  /** For /health/ready: the consumer is in its group and the cluster answers within a second. */
  async kafkaHealth(): Promise<{ status: 'up' | 'down' | 'disabled'; consumer: ConsumerState; error?: string }> {
    if (this.state === 'disabled') return { status: 'disabled', consumer: this.state };
    // A rebalance is routine (instances come and go); crashed, restarting or stopped is not ready.
    if (this.state !== 'joined' && this.state !== 'rebalancing') {
      return { status: 'down', consumer: this.state, ...(this.lastError ? { error: this.lastError } : {}) };
    }
    try {
      const probe = (this.probeAdmin ??= { admin: this.kafka.probe.admin(), connected: false });
      await withTimeout(
        (async () => {
          if (!probe.connected) {
            await probe.admin.connect();
            probe.connected = true;
          }
          await probe.admin.describeCluster();
        })(),
        1000,
        'broker check',
      );
      return { status: 'up', consumer: this.state };
    } catch (error) {
      const probe = this.probeAdmin;
      this.probeAdmin = undefined;
      void probe?.admin.disconnect().catch(() => undefined);
      return { status: 'down', consumer: this.state, error: `broker check failed: ${(error as Error).message}` };
    }
  }

  private watch(consumer: Consumer): void {
    const { events } = consumer;
    consumer.on(events.GROUP_JOIN, ({ payload }) => {
      this.restarts = 0;
      this.state = 'joined';
      this.lastError = undefined;
      this.metrics.consumerUp.set(1);
      // Lag series only for partitions this member owns now.
      this.metrics.consumerLag.reset();
      this.metrics.committedOffset.reset();
      this.logger.log({ msg: 'joined consumer group', group_id: payload.groupId, member_id: payload.memberId, assignment: payload.memberAssignment });
    });
    consumer.on(events.REBALANCING, () => {
      this.state = 'rebalancing';
      this.metrics.consumerUp.set(0);
    });
    consumer.on(events.CRASH, ({ payload }) => {
      if (consumer !== this.consumer) return; // a replaced consumer's last words
      const error = payload.error instanceof Error ? payload.error : new Error(String(payload.error));
      this.metrics.consumerUp.set(0);
      this.lastError = `${error.name}: ${error.message}`;
      if (payload.restart) {
        this.metrics.consumerCrashes.inc({ restart: 'kafkajs' });
        this.state = 'starting';
        this.logger.warn({ msg: 'consumer crashed, kafkajs restarts it', error: this.lastError });
        return;
      }
      if (this.booted && isTransientKafkaError(error)) {
        this.metrics.consumerCrashes.inc({ restart: 'ledger' });
        this.state = 'starting';
        this.logger.warn({ msg: 'consumer stopped by a broker outage; it will be replaced', error: this.lastError });
        this.scheduleRestart();
        return;
      }
      this.metrics.consumerCrashes.inc({ restart: 'none' });
      this.state = 'crashed';
      this.logger.error({ msg: 'consumer crashed and will not restart', error: this.lastError });
      if (this.booted) this.fatal(error);
      else this.bootCrash = error;
    });
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.isEmpty()) return;
    const started = process.hrtime.bigint();
    const records: ConsumedRecord[] = batch.messages.map((m) => ({
      topic: batch.topic,
      partition: batch.partition,
      offset: m.offset,
      key: m.key ?? null,
      value: m.value ?? null,
      headers: m.headers,
      timestamp: m.timestamp,
    }));
    const traced = LedgerBatchTrace.start(records, { topic: batch.topic, partition: batch.partition });
    try {
      await context.with(traced.context, () => this.applyAndCommit(payload, records, traced, started));
    } catch (error) {
      traced.notCommitted((error as Error).message);
      throw error;
    }
  }

  private async applyAndCommit(
    { batch, heartbeat, isRunning, isStale, commitOffsetsIfNecessary, resolveOffset }: EachBatchPayload,
    records: ConsumedRecord[],
    traced: LedgerBatchTrace,
    started: bigint,
  ): Promise<void> {
    // Label order as Prometheus sorts them, so the exposition reads the same as a scrape stores it.
    const labels = { partition: batch.partition, topic: batch.topic };
    // Until this batch commits, everything from its first offset on is lag (also while the database is down).
    const pending = BigInt(batch.highWatermark) - BigInt(batch.messages[0]!.offset);
    this.metrics.consumerLag.set(labels, Number(pending > 0n ? pending : 0n));
    const items = this.applyBatch.prepare(records);
    const control = { isRunning, isStale, heartbeat };
    const position = { topic: batch.topic, partition: batch.partition, first_offset: batch.firstOffset(), last_offset: batch.lastOffset() };
    const backoff = (step: 'apply') => ({
      initialMs: this.config.BATCH_RETRY_INITIAL,
      maxMs: this.config.BATCH_RETRY_MAX,
      onRetry: (error: unknown, attempt: number, delayMs: number) => {
        this.metrics.batchRetries.inc({ step });
        traced.retried(attempt, (error as Error)?.message ?? String(error));
        this.logger.warn({ msg: `batch ${step} failed, retrying`, ...position, attempt, delay_ms: delayMs, error: (error as Error)?.message ?? String(error) });
      },
    });

    const result = await retryWithBackoff(() => this.applyBatch.apply(items), control, backoff('apply'));
    if (result === ABANDONED) return this.abandoned(position, traced);

    if (this.dlq.enabled && result.deadLetters.length > 0) {
      // Best effort and bounded: the dead letters are committed in ledger.dead_letters already, and a DLQ
      // topic that refuses a record (or is down) must never hold every user of this partition.
      // result.deadLetters also holds records the database refused after validation.
      const byOffset = new Map(records.map((r) => [r.offset, r]));
      await this.dlq.publishBounded(
        result.deadLetters.map((deadLetter) => dlqEntryOf(byOffset.get(deadLetter.offset)!, deadLetter)),
        heartbeat,
      );
      if (!isRunning() || isStale()) return this.abandoned(position, traced);
    }

    // The database transaction committed: now, and only now, the offset moves.
    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    resolveOffset(batch.lastOffset());
    this.commitOffsetLater(commitOffsetsIfNecessary, batch.topic, batch.partition, next, batch.firstOffset() ?? batch.lastOffset());
    traced.committed(result.deadLetters);

    const lag = BigInt(batch.highWatermark) - BigInt(next);
    this.metrics.consumerLag.set(labels, Number(lag > 0n ? lag : 0n));
    this.metrics.batches.inc();
    this.metrics.batchSize.observe(records.length);
    this.metrics.batchDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    const applied = Object.values(result.applied).reduce((a, b) => a + b, 0);
    this.logger.debug({
      msg: 'batch applied',
      ...position,
      records: records.length,
      applied,
      duplicates: result.duplicates,
      dead_letters: result.deadLetters.length,
    });
    await heartbeat();
  }

  /**
   * Commits a batch's offset without holding up the partition: the offset commit is a round trip to the group
   * coordinator (~10 ms here) that the next fetch need not wait for, because the journal, not the offset, is what
   * makes an event count once — an offset committed late only means more redelivery after a crash, each event
   * skipped by its id. Commits of one partition are chained, so they reach the coordinator in order and a later
   * offset is never overwritten by an earlier one. A commit that fails makes the consumer read the batch again
   * from its first offset (skipped as duplicates, then committed by that delivery), as a failed commit always did.
   * Shutdown waits for the commits in flight.
   */
  private commitOffsetLater(commit: EachBatchPayload['commitOffsetsIfNecessary'], topic: string, partition: number, next: string, firstOffset: string): void {
    const key = `${topic}/${partition}`;
    const consumer = this.consumer;
    const chained = (this.pendingCommits.get(key) ?? Promise.resolve()).then(async () => {
      try {
        await commit({ topics: [{ topic, partitions: [{ partition, offset: next }] }] });
        this.metrics.committedOffset.set({ partition, topic }, Number(next));
      } catch (error) {
        this.metrics.offsetCommitFailures.inc();
        this.logger.warn({
          msg: 'offset commit failed after the database commit; the batch is read again',
          topic,
          partition,
          offset: next,
          error: (error as Error)?.message ?? String(error),
        });
        if (consumer && consumer === this.consumer && !this.stopping) {
          try {
            consumer.seek({ topic, partition, offset: firstOffset });
          } catch (seekError) {
            // Not running any more (a restart is under way): the new consumer starts from the committed offset.
            this.logger.warn({ msg: 'could not seek back after a failed offset commit', topic, partition, error: (seekError as Error).message });
          }
        }
      }
    });
    this.pendingCommits.set(key, chained);
  }

  private abandoned(position: Record<string, unknown>, traced: LedgerBatchTrace): void {
    // Offsets stay where they were: the batch is delivered again (here after a restart, or to the new owner).
    traced.notCommitted('abandoned before commit; delivered again');
    this.logger.warn({ msg: 'batch abandoned before commit (stopping or partition reassigned); it will be redelivered', ...position });
  }
}
