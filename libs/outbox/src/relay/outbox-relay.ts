import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { context } from '@opentelemetry/api';
import type { KafkaConfig, Message } from 'kafkajs';
import { Client, Pool } from 'pg';
import { DEFAULT_SCHEMA_NAMES, detectConnectionMode, SchemaNames, schemaMappingClient } from '@chat-ledger/database';
import { assertTopicReady, backoffDelayMs, isRecordError, withTimeout } from '@chat-ledger/kafka';
import { OutboxMetrics } from '../metrics/outbox-metrics';
import { OutboxLock, RELAY_APPLICATION_PREFIX, RELAY_LOCKS_SQL } from '../outbox-locks';
import { KafkaPublisher, kafkaHeaders, PublisherStatus } from './kafka-publisher';
import { OutboxListener } from './outbox-listener';
import { claimBatch, ClaimedRow, DELETE_EXPIRED_SQL, markFailed, markPublished, noteBrokerError } from './relay-store';
import { RelayBatchTrace } from './relay-tracing';
import { outboxChannel, SHARD_COUNT } from '../outbox-schema';
import { planRebalance } from './shard-assignment';
import { Wakeup } from './wakeup';

export interface RelayLogger {
  log(message: unknown, context?: string): void;
  warn(message: unknown, context?: string): void;
  error(message: unknown, context?: string): void;
  debug(message: unknown, context?: string): void;
}

export interface OutboxRelayOptions {
  databaseUrl: string;
  /** Where the outbox lives (OUTBOX_SCHEMA, OUTBOX_TABLE); the default names otherwise. */
  schemaNames?: SchemaNames;
  kafka: KafkaConfig;
  /** How to name the cluster in messages (the KAFKA_BROKERS value). */
  brokersLabel: string;
  topic: string;
  topicPartitions: number;
  /** Check at start that the topic exists with `topicPartitions` partitions (default true). */
  checkTopic?: boolean;
  batchSize: number;
  pollIntervalMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  retentionMs: number;
  retentionIntervalMs: number;
  /** Rows deleted per retention statement. */
  retentionBatchSize?: number;
  sendTimeoutMs: number;
  rebalanceIntervalMs: number;
  /**
   * Longest time the worker session may go silent (a frozen host, a cut without RST) before PostgreSQL ends
   * it and its shard leases go to another relay. Must exceed sendTimeoutMs (the claim transaction stays
   * open during a send) and rebalanceIntervalMs (the longest pause between two queries of a live relay).
   */
  leaseTimeoutMs?: number;
  /** Defaults to host:pid:random. Shown in admin stats (connection application_name). */
  instanceId?: string;
}

export interface RelayStatus {
  instanceId: string;
  running: boolean;
  /** Shards whose lease this relay holds. */
  shards: number[];
  /** Live relays (incl. this one) at the last rebalance. */
  relays: number;
  listening: boolean;
  kafka: PublisherStatus;
  lastBatchAt?: Date;
  lastError?: string;
}

type BatchOutcome = { kind: 'idle' } | { kind: 'published'; count: number; limit: number } | { kind: 'failed'; retryInMs: number };

const CONTEXT = 'OutboxRelay';

/**
 * The outbox relay: publishes outbox.events rows to Kafka in id order per shard, at least once.
 *
 * One worker connection per relay holds everything that must die together: the member lock (this relay
 * is alive), the shard leases (session advisory locks) and the claim-send-mark transaction. If that
 * session ends, PostgreSQL releases the leases and rolls the transaction back at the same moment, so
 * another relay may take the shards over without ever seeing a half-claimed batch.
 */
export class OutboxRelay {
  readonly instanceId: string;
  private readonly publisher: KafkaPublisher;
  private readonly listener: OutboxListener;
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly wake = new Wakeup();
  private worker?: Client;
  private workerPid?: number;
  private held: number[] = [];
  private relays = 0;
  private loop?: Promise<void>;
  private stopping = false;
  private started = false;
  /** After a send failed for a record's sake, claim single rows until one succeeds, so one bad row cannot fail many. */
  private probing = false;
  /**
   * The next batch, claimed while the one before it was on its way to Kafka (see publishClaimed), in the transaction
   * that marked it. Those row locks end with that transaction's COMMIT, which is safe: a pending row of a shard this
   * relay leases is published, failed or killed by this relay alone, and the one change others make to it, an
   * erasure's erase_on_publish flag, is read again when the row is marked. Dropped when a shard lease goes or the
   * worker session ends, and never sent while probing.
   */
  private prefetched?: ClaimedRow[];
  /** Consecutive sends that failed because of the broker: the relay-wide backoff step. */
  private brokerFailures = 0;
  private retentionTimer?: NodeJS.Timeout;
  private retentionRunning?: Promise<number>;
  private lastBatchAt?: Date;
  private lastProducerConnectAt = 0;
  private lastError?: string;
  private failureLog = { lastAt: 0, suppressed: 0 };

  /** pg's Client, or one that rewrites the outbox's names for a deployment that chose others. */
  private readonly pgClient: typeof Client;

  constructor(
    private readonly options: OutboxRelayOptions,
    private readonly logger: RelayLogger,
    private readonly metrics?: OutboxMetrics,
    pool?: Pool,
  ) {
    if (this.leaseTimeoutMs <= Math.max(options.sendTimeoutMs, options.rebalanceIntervalMs)) {
      throw new Error(
        `outbox relay: the lease timeout (${this.leaseTimeoutMs} ms) must exceed OUTBOX_SEND_TIMEOUT (${options.sendTimeoutMs} ms) and OUTBOX_REBALANCE_INTERVAL (${options.rebalanceIntervalMs} ms)`,
      );
    }
    this.pgClient = schemaMappingClient(options.schemaNames ?? DEFAULT_SCHEMA_NAMES);
    this.instanceId = options.instanceId ?? `${hostname().slice(0, 32)}:${process.pid}:${randomBytes(2).toString('hex')}`;
    this.publisher = new KafkaPublisher(options.kafka, options.topic, options.sendTimeoutMs);
    this.listener = new OutboxListener(
      {
        connectionString: options.databaseUrl,
        application_name: `${RELAY_APPLICATION_PREFIX}${this.instanceId}:listen`.slice(0, 63),
        connectionTimeoutMillis: 5_000,
      },
      outboxChannel((options.schemaNames ?? DEFAULT_SCHEMA_NAMES).outbox),
      () => this.wake.signal(),
      logger,
    );
    this.ownsPool = !pool;
    this.pool =
      pool ??
      new Pool({
        Client: this.pgClient,
        connectionString: options.databaseUrl,
        max: 2,
        application_name: 'outbox-relay-maintenance',
        connectionTimeoutMillis: 5_000,
        query_timeout: this.leaseTimeoutMs,
      });
    // A pooled idle connection that breaks (database restart) must not crash the process.
    if (this.ownsPool) this.pool.on('error', () => undefined);
  }

  /**
   * Checks that the database connection is a session (no transaction-mode pooler) and the topic (apps never create
   * topics), then starts the loop, LISTEN and retention. Throws with an operator-readable message when the connection
   * is pooled per transaction, or the topic is missing or has the wrong partitions.
   */
  async start(): Promise<void> {
    if (this.started) return;
    // The shard leases are session advisory locks and the wake-up is a LISTEN: behind a transaction-mode pooler the
    // leases would land on backends other clients then use, and two relays could publish one shard.
    const connection = await detectConnectionMode(this.options.databaseUrl).catch((error: Error) => {
      throw new Error(`outbox relay cannot start: the database cannot be reached: ${error.message}`, { cause: error });
    });
    if (connection.mode !== 'session') {
      throw new Error(
        `outbox relay cannot start: its DATABASE_URL leads to a transaction-mode connection pooler (${connection.reason}). ` +
          'The relay holds session advisory locks (its shard leases) and LISTENs, which need a session of its own: ' +
          'connect it to PostgreSQL directly or through a session-mode pool.',
      );
    }
    if (this.options.checkTopic !== false) {
      try {
        await assertTopicReady(this.publisher.client, this.options.topic, this.options.topicPartitions, { brokers: this.options.brokersLabel });
      } catch (error) {
        throw new Error(`outbox relay cannot start: ${(error as Error).message}`, { cause: error });
      }
    }
    // Connected before the first row, so readiness is true from the start and a broken producer config fails the start.
    try {
      await this.publisher.connect();
    } catch (error) {
      throw new Error(`outbox relay cannot start: Kafka producer cannot connect to ${this.options.brokersLabel}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.started = true;
    await this.listener.start();
    this.loop = this.run();
    this.retentionTimer = setInterval(() => void this.runRetentionOnce().catch(() => undefined), this.options.retentionIntervalMs);
    this.retentionTimer.unref();
    this.logger.log({ msg: 'outbox relay started', instance_id: this.instanceId, topic: this.options.topic, batch_size: this.options.batchSize }, CONTEXT);
  }

  /** Graceful stop: finishes the batch in hand, releases the shard leases, closes connections. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopping) {
      await this.loop;
      return;
    }
    this.stopping = true;
    clearInterval(this.retentionTimer);
    this.wake.signal();
    await this.loop;
    await this.releaseWorker();
    await this.listener.stop();
    await this.retentionRunning?.catch(() => undefined);
    await this.publisher.close();
    if (this.ownsPool) await this.pool.end().catch(() => undefined);
    this.metrics?.shardsHeld.set(0);
    if (this.started) this.logger.log({ msg: 'outbox relay stopped', instance_id: this.instanceId }, CONTEXT);
  }

  status(): RelayStatus {
    return {
      instanceId: this.instanceId,
      running: this.started && !this.stopping,
      shards: [...this.held],
      relays: this.relays,
      listening: this.listener.isListening,
      kafka: this.publisher.status(),
      lastBatchAt: this.lastBatchAt,
      lastError: this.lastError,
    };
  }

  /** Deletes published rows older than the retention window, `retentionBatchSize` (1,000) per statement. */
  runRetentionOnce(): Promise<number> {
    if (this.retentionRunning) return this.retentionRunning;
    const batch = this.options.retentionBatchSize ?? 1_000;
    const run = (async () => {
      let total = 0;
      for (;;) {
        const result = await this.pool.query(DELETE_EXPIRED_SQL, [this.options.retentionMs, batch]);
        const deleted = result.rowCount ?? 0;
        total += deleted;
        if (deleted < batch || this.stopping) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (total > 0) this.logger.log({ msg: 'expired outbox rows deleted', count: total }, CONTEXT);
      return total;
    })();
    this.retentionRunning = run
      .catch((error) => {
        this.logger.warn({ msg: 'outbox retention sweep failed', error: (error as Error).message }, CONTEXT);
        throw error;
      })
      .finally(() => {
        this.retentionRunning = undefined;
      });
    return this.retentionRunning;
  }

  // ---------------------------------------------------------------------------------------------

  private async run(): Promise<void> {
    let nextRebalanceAt = 0;
    let reconnectDelayMs = 250;
    while (!this.stopping) {
      try {
        if (!this.worker) {
          await this.connectWorker();
          nextRebalanceAt = 0;
        }
        if (Date.now() >= nextRebalanceAt) {
          await this.rebalance();
          nextRebalanceAt = Date.now() + this.options.rebalanceIntervalMs;
        }
        reconnectDelayMs = 250;
        let waitMs = this.options.pollIntervalMs;
        if (this.held.length > 0) {
          const outcome = await this.processBatch();
          // A backlog: keep going (a full batch, or the next one already claimed).
          if (outcome.kind === 'published' && (outcome.count >= outcome.limit || this.prefetched)) continue;
          if (outcome.kind === 'failed') waitMs = Math.min(waitMs, outcome.retryInMs);
          if (outcome.kind === 'idle') await this.reconnectIdleProducer();
        }
        if (this.stopping) break;
        await this.wake.wait(Math.min(waitMs, Math.max(0, nextRebalanceAt - Date.now())));
      } catch (error) {
        this.lastError = (error as Error).message;
        this.logger.warn(
          { msg: 'outbox relay database error; reconnecting (shard leases dropped)', error: this.lastError, retry_in_ms: reconnectDelayMs },
          CONTEXT,
        );
        await this.dropWorker();
        await this.pause(reconnectDelayMs);
        reconnectDelayMs = Math.min(reconnectDelayMs * 2, 5_000);
      }
    }
  }

  /**
   * After a failed send the producer is dropped; with nothing to send it would stay disconnected (and
   * readiness false) until the next row. Reconnect it in the background every few seconds.
   */
  private async reconnectIdleProducer(): Promise<void> {
    if (this.publisher.status().up || Date.now() - this.lastProducerConnectAt < 2_000) return;
    this.lastProducerConnectAt = Date.now();
    await this.publisher.connect().catch(() => undefined);
  }

  /** Sleeps, waking early only to stop. */
  private async pause(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.stopping && Date.now() < until) await this.wake.wait(until - Date.now());
  }

  private get leaseTimeoutMs(): number {
    return this.options.leaseTimeoutMs ?? 30_000;
  }

  private async connectWorker(): Promise<void> {
    const client = new this.pgClient({
      connectionString: this.options.databaseUrl,
      application_name: `${RELAY_APPLICATION_PREFIX}${this.instanceId}`.slice(0, 63),
      keepAlive: true,
      keepAliveInitialDelayMillis: 5_000,
      connectionTimeoutMillis: 5_000,
      // A query that never answers (the link froze) fails here instead of wedging the loop.
      query_timeout: this.leaseTimeoutMs,
    });
    // An idle connection error must not crash the process; the next query fails and the loop reconnects.
    client.on('error', (error) => {
      this.lastError = error.message;
    });
    try {
      await client.connect();
      // The leases live as long as this session, so the server must end a session that went silent, or a
      // relay host that lost power (no FIN, no RST) would keep its shards for the kernel's keepalive time,
      // hours by default. A live relay queries at least every rebalance interval and holds a transaction
      // open for at most one send; anything longer than the lease timeout means it is gone.
      await client.query(
        `SELECT set_config('idle_session_timeout', $1, false), set_config('idle_in_transaction_session_timeout', $1, false),
                set_config('statement_timeout', $1, false), set_config('tcp_user_timeout', $2, false),
                set_config('tcp_keepalives_idle', '5', false), set_config('tcp_keepalives_interval', '2', false),
                set_config('tcp_keepalives_count', '3', false)`,
        [`${this.leaseTimeoutMs}ms`, String(this.leaseTimeoutMs)],
      );
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const pid = rows[0]!.pid;
      await client.query('SELECT pg_advisory_lock($1, $2)', [OutboxLock.relayMember, pid]);
      this.worker = client;
      this.workerPid = pid;
      this.held = [];
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  /** Graceful: unlock everything on a healthy session, then close it. */
  private async releaseWorker(): Promise<void> {
    const client = this.worker;
    if (!client) return;
    try {
      await client.query('SELECT pg_advisory_unlock_all()');
      if (this.held.length) this.logger.log({ msg: 'shard leases released', instance_id: this.instanceId, shards: this.held.length }, CONTEXT);
    } catch {
      // closing the session releases them anyway
    }
    await this.dropWorker();
  }

  private async dropWorker(): Promise<void> {
    const client = this.worker;
    this.worker = undefined;
    this.workerPid = undefined;
    this.held = [];
    this.prefetched = undefined;
    this.metrics?.shardsHeld.set(0);
    if (!client) return;
    // end() waits for the server to close; on a frozen link it never would.
    await withTimeout(client.end(), 1_000, 'closing the worker connection').catch(() => {
      (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    });
  }

  /** Counts live relays (member locks), then takes or gives up shard leases toward a fair share. */
  private async rebalance(): Promise<void> {
    const client = this.worker!;
    const me = this.workerPid!;
    const { rows } = await client.query<{ pid: number; ns: number; key: string }>(RELAY_LOCKS_SQL);
    const members = [...new Set(rows.filter((r) => r.ns === OutboxLock.relayMember).map((r) => r.pid))].sort((a, b) => a - b);
    const rank = members.indexOf(me);
    if (rank < 0) throw new Error('relay member lock is missing on the worker connection');
    const shardRows = rows.filter((r) => r.ns === OutboxLock.shardLease);
    const mine = shardRows.filter((r) => r.pid === me).map((r) => Number(r.key));
    const others = shardRows.filter((r) => r.pid !== me).map((r) => Number(r.key));
    this.held = mine.sort((a, b) => a - b);
    this.relays = members.length;

    const plan = planRebalance({ total: SHARD_COUNT, members: members.length, rank, held: mine, heldByOthers: others });
    let changed = false;
    if (plan.release.length > 0) {
      await client.query('SELECT pg_advisory_unlock($1, s) FROM unnest($2::int[]) AS s', [OutboxLock.shardLease, plan.release]);
      const released = new Set(plan.release);
      this.held = this.held.filter((s) => !released.has(s));
      // Rows claimed ahead may belong to a released shard, which another relay may now publish.
      this.prefetched = undefined;
      changed = true;
    }
    if (plan.acquire.length > 0) {
      const { rows: got } = await client.query<{ s: number }>('SELECT s FROM unnest($2::int[]) AS s WHERE pg_try_advisory_lock($1, s)', [
        OutboxLock.shardLease,
        plan.acquire,
      ]);
      if (got.length > 0) {
        this.held = [...this.held, ...got.map((r) => r.s)].sort((a, b) => a - b);
        changed = true;
      }
    }
    this.metrics?.shardsHeld.set(this.held.length);
    if (changed) {
      this.logger.log(
        {
          msg: 'shard leases changed',
          instance_id: this.instanceId,
          relays: members.length,
          target: plan.target,
          held: this.held.length,
          released: plan.release.length,
        },
        CONTEXT,
      );
      // Newly taken shards may have a backlog.
      this.wake.signal();
    }
  }

  private async processBatch(): Promise<BatchOutcome> {
    const client = this.worker!;
    const limit = this.probing ? 1 : this.options.batchSize;
    const started = process.hrtime.bigint();
    const startTime = Date.now();
    // The batch's COMMIT does not wait for its WAL to reach the disk. What it makes durable is only the relay's
    // bookkeeping (the rows marked published after Kafka acknowledged them): a PostgreSQL crash can lose the last
    // marks (at most a few wal_writer_delay's worth), and those rows are then pending again and sent again, in id
    // order, which at-least-once delivery allows and the ledger skips by event id. WAL is flushed in order, so what
    // survives is always a prefix of the marks, never a later batch without an earlier one.
    await client.query('BEGIN; SET LOCAL synchronous_commit = off');
    const prefetched = this.probing ? undefined : this.prefetched;
    this.prefetched = undefined;
    let rows: ClaimedRow[];
    try {
      rows = prefetched ?? (await claimBatch(client, this.held, limit));
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    if (rows.length === 0) {
      await client.query('COMMIT');
      return { kind: 'idle' };
    }
    this.logger.debug({ msg: 'sending batch', rows: rows.length, first_id: rows[0]!.id, last_id: rows[rows.length - 1]!.id }, CONTEXT);

    // Spans start once rows are claimed: an idle poll (most of them) traces nothing.
    const traced = RelayBatchTrace.start(rows, { topic: this.options.topic, instanceId: this.instanceId, startTime });
    try {
      const outcome = await context.with(traced.context, () => this.publishClaimed(client, rows, traced.messages(rows, toMessage), limit, started));
      traced.end(outcome.kind === 'published' ? { published: true } : { published: false, error: this.lastError ?? 'send failed' });
      return outcome;
    } catch (error) {
      traced.end({ published: false, error: (error as Error).message });
      throw error;
    }
  }

  /**
   * Sends the rows in one Kafka send and, in this batch's transaction, marks them published while the records travel:
   * the mark is invisible to everyone until COMMIT, which runs only after Kafka acknowledged the send, so a row is
   * never seen published before it is on Kafka. The database's work and the broker's overlap instead of adding up.
   *
   * A full batch means a backlog, so after the mark the same transaction also claims the next batch: that claim sees
   * this batch's rows as published already, and the next send can start as soon as this one is acknowledged and
   * committed. Per-user order holds: the next batch is sent only after this one's ack, and a failed send rolls back
   * its claim with its mark, so nothing claimed behind a failure is ever sent.
   *
   * A failed send rolls the mark back and notes the failure in a statement of its own; a failed mark or claim (a
   * database error) loses the transaction, and rows already sent go again later (at least once).
   */
  private async publishClaimed(client: Client, rows: ClaimedRow[], messages: Message[], limit: number, started: bigint): Promise<BatchOutcome> {
    const claimAhead = !this.probing && !this.stopping && rows.length >= limit;
    const databaseWork = markPublished(
      client,
      rows.map((r) => r.id),
    )
      .then(() => (claimAhead ? claimBatch(client, this.held, limit) : undefined))
      .then(
        (next) => ({ next }),
        (error: unknown) => ({ error: error as Error }),
      );
    const sendError = await this.publisher.send(messages).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    const done = await databaseWork;
    if ('error' in done) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw done.error;
    }
    if (sendError) {
      await client.query('ROLLBACK');
      return this.sendFailed(client, rows, sendError, started);
    }
    await client.query('COMMIT');
    if (done.next?.length) this.prefetched = done.next;
    if (this.probing || this.brokerFailures > 0)
      this.logger.log({ msg: 'kafka send succeeded again, back to full batches', instance_id: this.instanceId }, CONTEXT);
    this.probing = false;
    this.brokerFailures = 0;
    this.lastBatchAt = new Date();
    this.metrics?.published.inc(rows.length);
    this.metrics?.kafkaUp.set(1);
    this.metrics?.batchDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    return { kind: 'published', count: rows.length, limit };
  }

  /**
   * After a failed send (its transaction rolled back, so the rows are pending and unmarked): the broker's fault backs
   * the whole relay off and spends no attempt; a refused record is searched for one row at a time, and that row is
   * charged an attempt (dead at the limit). Each note is one statement, its own transaction.
   */
  private async sendFailed(client: Client, rows: ClaimedRow[], error: Error, started: bigint): Promise<BatchOutcome> {
    const message = error.message || String(error);
    this.lastError = message;
    this.metrics?.publishErrors.inc();
    this.metrics?.batchDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    if (!isRecordError(error)) {
      // The broker's fault (down, slow, cut off, a leader moving): no attempt is spent, however long it
      // lasts; the whole relay backs off and sends the same rows again.
      await noteBrokerError(
        client,
        rows.map((r) => r.id),
        message,
      );
      this.brokerFailures += 1;
      this.metrics?.kafkaUp.set(0);
      const retryInMs = backoffDelayMs(this.brokerFailures, this.options.retryBaseMs, this.options.retryMaxMs);
      this.logFailure(message, rows.length, 0, 'broker');
      return { kind: 'failed', retryInMs };
    }
    if (rows.length > 1) {
      // Some record of the batch is refused: find it by sending one row at a time, charging nobody yet.
      this.probing = true;
      this.logFailure(message, rows.length, 0, 'record');
      return { kind: 'failed', retryInMs: 0 };
    }
    const [row] = rows;
    const delayMs = backoffDelayMs(row!.attempts + 1, this.options.retryBaseMs, this.options.retryMaxMs);
    const dead = await markFailed(client, [{ id: row!.id, delayMs }], message, this.options.maxAttempts);
    this.probing = true;
    this.metrics?.deadLettered.inc(dead);
    this.logFailure(message, 1, dead, 'record');
    return { kind: 'failed', retryInMs: delayMs };
  }

  /** One warning per 5 s at most while Kafka keeps failing, with the number of failures folded in. */
  private logFailure(error: string, rows: number, dead: number, cause: 'broker' | 'record'): void {
    const now = Date.now();
    if (dead === 0 && now - this.failureLog.lastAt < 5_000) {
      this.failureLog.suppressed += 1;
      return;
    }
    this.logger.warn(
      {
        msg:
          cause === 'broker'
            ? 'kafka send failed (broker); the relay backs off, no attempt is counted'
            : 'kafka send refused a record; it is retried alone with backoff',
        error,
        rows,
        dead,
        failures_since_last_log: this.failureLog.suppressed,
      },
      CONTEXT,
    );
    this.failureLog = { lastAt: now, suppressed: 0 };
  }
}

function toMessage(row: ClaimedRow): Message {
  return { key: row.partition_key, value: row.payload, headers: kafkaHeaders(row) };
}
