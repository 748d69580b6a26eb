import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Partitioners } from 'kafkajs';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, withDatabase } from '@chat-ledger/database';
import { createKafka } from '@chat-ledger/kafka';
import { issueToken } from '@chat-ledger/platform';
import { findFreePort, OwnKafka, startOwnKafka } from '@chat-ledger/testing';
import { ReconcileService } from '../../apps/ledger-consumer/src/index';
import { buildFaultSchedule, Fault, FAULT_KINDS, FaultKind } from './fault-schedule';
import { LoadGenerator } from './load-generator';
import { ManagedProcess } from './managed-process';

export interface ChaosOptions {
  seed: number;
  messages: number;
  users: number;
  concurrency: number;
  /** Longest load phase; faults are spread over it. */
  loadMs: number;
  faultRounds: number;
  partitions: number;
  /** ledger-consumer instances, all in one consumer group (killed ones re-join it while the others run). */
  ledgers: number;
  drainTimeoutMs: number;
  /** A PostgreSQL server URL; the run creates its own database there. */
  pgServerUrl: string;
  distDir: string;
  workDir: string;
  log: (line: string) => void;
}

export interface ChaosSummary {
  seed: number;
  requestsSent: number;
  acknowledged: number;
  messagesAcked: number;
  adjustmentsAcked: number;
  retriedAfterError: number;
  deliberateDuplicates: number;
  gaveUp: number;
  faults: Record<FaultKind, number>;
  processCrashesRestarted: number;
  /** Records produced straight to the topic: refused by the DLQ topic, and conflicting duplicates. */
  poisonInjected: { refused: number; conflicts: number };
  eventsInOutbox: number;
  eventsPublished: number;
  deadRows: number;
  messagesOnTopic: number;
  duplicatesDelivered: number;
  duplicatesSkipped: number;
  eventsLost: number;
  doubleApplied: number;
  orderViolations: number;
  totalsMismatches: number;
  reconcileDrift: number;
  drainMs: number;
  problems: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The chaos run: gateway, two relays and the ledger-consumers as OS processes on real PostgreSQL and Kafka,
 * a load of acknowledged writes, a seeded fault schedule, then a drain and the invariant checks.
 */
export async function runChaos(o: ChaosOptions): Promise<ChaosSummary> {
  mkdirSync(o.workDir, { recursive: true });
  const problems: string[] = [];
  const dbName = `chaos_${o.seed}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: o.pgServerUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const databaseUrl = withDatabase(o.pgServerUrl, dbName);
  // A real Apache Kafka node of the run's own; the apps reach it through a fault proxy (the address its
  // second listener advertises), the verifier directly.
  // The DLQ topic refuses records above 1 KB, so the large poison records the run injects must not hold
  // their partition (the dead letter is kept in the database, its DLQ copy left for the redrive).
  const kafka = await startOwnKafka([
    { name: 'token-events', partitions: o.partitions },
    { name: 'token-events.dlq', partitions: 1, config: { 'max.message.bytes': '1024' } },
  ]);
  const secret = randomBytes(32).toString('hex');
  const gatewayPort = await findFreePort();
  const baseEnv = {
    DATABASE_URL: databaseUrl,
    JWT_SECRET: secret,
    KAFKA_BROKERS: kafka.faultyBrokers,
    KAFKA_TOPIC: 'token-events',
    KAFKA_TOPIC_PARTITIONS: String(o.partitions),
    LOG_LEVEL: 'info',
  };
  const relayEnv = {
    ...baseEnv,
    OUTBOX_RETRY_BASE: '100ms',
    OUTBOX_RETRY_MAX: '2s',
    OUTBOX_MAX_ATTEMPTS: '3',
    OUTBOX_SEND_TIMEOUT: '5s',
    OUTBOX_REBALANCE_INTERVAL: '500ms',
  };
  const event = (line: string) => o.log(`  [${new Date().toISOString().slice(11, 23)}] ${line}`);
  const proc = (name: string, script: string, env: Record<string, string>, ready: string) =>
    new ManagedProcess({
      name,
      script: join(o.distDir, script),
      env,
      readyWhen: (l) => l.includes(ready),
      logFile: join(o.workDir, `${name}.log`),
      restartOnCrash: true,
      onEvent: event,
    });

  const gateway = proc(
    'gateway',
    'apps/chat-gateway/src/main.js',
    { ...baseEnv, PORT: String(gatewayPort), RELAY_ENABLED: 'false', RATE_LIMIT_WRITES_PER_SECOND: '0', DB_POOL_SIZE: '30' },
    'chat-gateway listening',
  );
  const relays = [0, 1].map((i) => proc(`relay-${i}`, 'apps/outbox-relay/src/main.js', relayEnv, 'outbox relay running'));
  const ledgerPorts = await Promise.all(Array.from({ length: o.ledgers }, () => findFreePort()));
  const ledgers = ledgerPorts.map((_, i) =>
    proc(
      `ledger-${i}`,
      'apps/ledger-consumer/src/main.js',
      {
        ...baseEnv,
        PORT: String(ledgerPorts[i]),
        KAFKA_DLQ_TOPIC: 'token-events.dlq',
        DLQ_PUBLISH_TIMEOUT: '2s',
        KAFKA_SESSION_TIMEOUT_MS: '10000',
        KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
        BATCH_RETRY_INITIAL: '50ms',
        BATCH_RETRY_MAX: '1s',
      },
      'ledger-consumer listening',
    ),
  );
  const all = [gateway, ...relays, ...ledgers];
  const faultsDone = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const poison = { refused: 0, conflicts: 0 };
  let summary: ChaosSummary | undefined;
  try {
    // Migrations first (the gateway's), then the rest.
    await gateway.start();
    await Promise.all([...ledgers.map((l) => l.start()), ...relays.map((r) => r.start())]);
    o.log(
      `stack up: gateway :${gatewayPort}, 2 relays, ${o.ledgers} ledger-consumer(s), Apache Kafka ${kafka.brokers} (apps via ${kafka.faultyBrokers}), database ${dbName}`,
    );

    const schedule = buildFaultSchedule(o.seed, o.loadMs, o.faultRounds);
    o.log(`fault schedule (seed ${o.seed}):`);
    for (const f of schedule)
      o.log(
        `  +${(f.atMs / 1000).toFixed(1).padStart(6)} s  ${f.kind.padEnd(20)} ${f.durationMs} ms${f.kind.startsWith('kill') ? ` target #${f.target}` : ''}`,
      );

    const load = new LoadGenerator({
      baseUrl: `http://127.0.0.1:${gatewayPort}`,
      tokenFor: (userId, scopes) => issueToken({ userId, scopes, ttlSeconds: 86_400 }, secret),
      seed: o.seed,
      users: o.users,
      messages: o.messages,
      concurrency: o.concurrency,
      deadline: Date.now() + o.loadMs,
    });
    const started = Date.now();
    const loadDone = load.run();
    const inject = async (fault: Fault) => {
      event(`fault ${fault.kind} (${fault.durationMs} ms)`);
      faultsDone[fault.kind]++;
      switch (fault.kind) {
        case 'kill-relay': {
          const relay = relays[fault.target ?? 0]!;
          await relay.kill();
          await sleep(fault.durationMs);
          await relay.restart();
          break;
        }
        case 'kill-ledger': {
          const ledger = ledgers[(fault.target ?? 0) % ledgers.length]!;
          await ledger.kill();
          await sleep(fault.durationMs);
          await ledger.restart().catch((e) => event(`ledger restart: ${e.message}`));
          break;
        }
        case 'kill-broker':
          // SIGKILL: no controlled shutdown; the restarted broker recovers from its log on disk.
          await kafka.broker.kill();
          await sleep(fault.durationMs);
          await kafka.broker.restart();
          break;
        case 'freeze-broker':
          await kafka.broker.pause();
          await sleep(fault.durationMs);
          kafka.broker.resume();
          break;
        case 'network-cut':
          await kafka.proxy.cut();
          await sleep(fault.durationMs);
          await kafka.proxy.restore();
          break;
        case 'pg-drop-connections': {
          const c = new Client({ connectionString: o.pgServerUrl });
          await c.connect();
          const { rowCount } = await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [dbName]);
          await c.end();
          event(`terminated ${rowCount} PostgreSQL connections`);
          break;
        }
        case 'broker-outage':
          await kafka.proxy.cut();
          await sleep(fault.durationMs);
          await kafka.proxy.restore();
          break;
        case 'poison': {
          const injected = await injectPoison(databaseUrl, kafka.brokers);
          poison.refused += injected.refused;
          poison.conflicts += injected.conflicts;
          event(`produced ${injected.refused} record(s) the DLQ topic refuses and ${injected.conflicts} conflicting duplicate(s)`);
          break;
        }
        case 'slow-network':
          kafka.proxy.setLatency(80);
          await sleep(fault.durationMs);
          kafka.proxy.setLatency(0);
          break;
      }
    };
    const faultsRun = (async () => {
      for (const fault of schedule) {
        const wait = started + fault.atMs - Date.now();
        if (wait > 0) await sleep(wait);
        await inject(fault);
      }
    })();
    await Promise.all([loadDone, faultsRun]);
    o.log(`load done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${load.messages.size} messages and ${load.adjustments.size} adjustments acknowledged`);

    // Drain: every outbox row published (or dead) and every event in the journal.
    const dataSource = new DataSource(buildDataSourceOptions({ url: databaseUrl, schema: 'ledger', applicationName: 'chaos-verifier', poolSize: 2 }));
    await dataSource.initialize();
    const drainStart = Date.now();
    let drained = false;
    while (Date.now() - drainStart < o.drainTimeoutMs) {
      const [row] = await dataSource.query(`SELECT
        (SELECT count(*) FROM outbox.events WHERE status = 'pending')::int AS pending,
        (SELECT count(*) FROM outbox.events WHERE status = 'published')::int AS published,
        (SELECT count(*) FROM ledger.entries)::int AS applied,
        (SELECT count(*) FROM ledger.dead_letters)::int AS dead_letters`);
      if (row.pending === 0 && row.applied >= row.published && row.dead_letters >= poison.refused + poison.conflicts) {
        drained = true;
        break;
      }
      await sleep(250);
    }
    const drainMs = Date.now() - drainStart;
    if (!drained) problems.push(`pipeline did not drain within ${o.drainTimeoutMs} ms`);

    summary = await verify(dataSource, kafka, o, load, faultsDone, drainMs, problems, all, ledgerPorts, poison);
    await dataSource.destroy();
    return summary;
  } finally {
    await Promise.all(all.map((p) => p.stop().catch(() => undefined)));
    await kafka.stop();
  }
}

async function verify(
  db: DataSource,
  kafka: OwnKafka,
  o: ChaosOptions,
  load: LoadGenerator,
  faults: Record<FaultKind, number>,
  drainMs: number,
  problems: string[],
  all: ManagedProcess[],
  ledgerPorts: number[],
  poison: { refused: number; conflicts: number },
): Promise<ChaosSummary> {
  // 0. Poison: every injected record is a dead letter, none counted; the ones the DLQ refused wait for a redrive.
  const letters: Array<{ reason: string; n: number; unpublished: number }> = await db.query(
    `SELECT reason, count(*)::int AS n, count(*) FILTER (WHERE dlq_published_at IS NULL)::int AS unpublished FROM ledger.dead_letters GROUP BY reason`,
  );
  const byReason = new Map(letters.map((l) => [l.reason, l]));
  if ((byReason.get('conflicting_duplicate')?.n ?? 0) !== poison.conflicts) {
    problems.push(`${byReason.get('conflicting_duplicate')?.n ?? 0} conflicting_duplicate dead letters for ${poison.conflicts} injected`);
  }
  if ((byReason.get('not_json')?.n ?? 0) !== poison.refused || (byReason.get('not_json')?.unpublished ?? 0) !== poison.refused) {
    problems.push(`DLQ-refused poison: ${JSON.stringify(byReason.get('not_json') ?? null)} for ${poison.refused} injected (all must stay unpublished)`);
  }
  for (const l of letters) if (!['conflicting_duplicate', 'not_json'].includes(l.reason)) problems.push(`unexpected dead letters: ${l.n} × ${l.reason}`);

  // 1. Every acknowledged message exists exactly once; nothing unacknowledged was stored.
  const ackedIds = [...load.messages.keys()];
  const [{ stored, matched }] = await db.query(
    `SELECT (SELECT count(*) FROM chat.messages)::int AS stored, (SELECT count(*) FROM chat.messages WHERE id = ANY($1::uuid[]))::int AS matched`,
    [ackedIds],
  );
  if (matched !== ackedIds.length) problems.push(`${ackedIds.length - matched} acknowledged messages are missing`);
  if (stored !== ackedIds.length) problems.push(`${stored} messages stored but ${ackedIds.length} acknowledged`);

  // 2. Outbox: every row published or dead with a reason.
  const [outbox] = await db.query(`SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'published')::int AS published,
      count(*) FILTER (WHERE status = 'dead')::int AS dead, count(*) FILTER (WHERE status = 'pending')::int AS pending FROM outbox.events`);
  if (outbox.pending > 0) problems.push(`${outbox.pending} outbox rows still pending`);
  if (outbox.dead > 0) {
    const dead = await db.query(`SELECT id, attempts, last_error FROM outbox.events WHERE status = 'dead' LIMIT 5`);
    problems.push(`${outbox.dead} dead outbox rows (max attempts 1000 makes none expected): ${JSON.stringify(dead)}`);
  }
  const expectedEvents = ackedIds.length + load.adjustments.size;
  if (outbox.total !== expectedEvents) problems.push(`${outbox.total} outbox rows for ${expectedEvents} acknowledged writes`);

  // 3. Ledger: nothing lost, nothing applied twice, totals equal the acknowledged requests.
  const [{ lost }] = await db.query(
    `SELECT count(*)::int AS lost FROM outbox.events o WHERE o.status = 'published' AND NOT EXISTS (SELECT 1 FROM ledger.entries e WHERE e.event_id = o.event_id)`,
  );
  const [{ extra }] = await db.query(
    `SELECT count(*)::int AS extra FROM ledger.entries e WHERE NOT EXISTS (SELECT 1 FROM outbox.events o WHERE o.event_id = e.event_id)`,
  );
  if (lost > 0) problems.push(`${lost} published events are not in the ledger`);
  if (extra > 0) problems.push(`${extra} ledger entries have no outbox row`);

  const users = new Map<string, number>();
  const conversations = new Map<string, number>();
  const messages = new Map<string, number>();
  const add = (m: Map<string, number>, k: string | null, v: number) => k && m.set(k, (m.get(k) ?? 0) + v);
  for (const m of load.messages.values()) {
    add(users, m.userId, m.tokens);
    add(conversations, m.conversationId, m.tokens);
    add(messages, m.messageId, m.tokens);
  }
  for (const a of load.adjustments.values()) {
    add(users, a.userId, a.delta);
    add(conversations, a.conversationId, a.delta);
    add(messages, a.messageId, a.delta);
  }
  let totalsMismatches = 0;
  const compare = async (label: string, sql: string, expected: Map<string, number>) => {
    const rows: Array<{ id: string; total: string }> = await db.query(sql);
    const actual = new Map(rows.map((r) => [r.id, Number(r.total)]));
    for (const [id, want] of expected) {
      if ((actual.get(id) ?? 0) !== want) {
        totalsMismatches++;
        if (totalsMismatches <= 5) problems.push(`${label} ${id}: ledger ${actual.get(id) ?? 0}, expected ${want}`);
      }
    }
    for (const [id, got] of actual) if (!expected.has(id) && got !== 0) totalsMismatches++;
  };
  await compare('user', `SELECT user_id AS id, tokens_total::text AS total FROM ledger.user_totals`, users);
  await compare('conversation', `SELECT conversation_id::text AS id, tokens_total::text AS total FROM ledger.conversation_totals`, conversations);
  await compare('message', `SELECT message_id::text AS id, tokens_total::text AS total FROM ledger.message_totals`, messages);
  if (totalsMismatches > 0) problems.push(`${totalsMismatches} totals differ from the acknowledged requests`);

  const report = await new ReconcileService(db).check(5);
  if (report.drifted > 0) problems.push(`ledger:reconcile found ${report.drifted} drifted rows`);

  // 4. Per-user order on Kafka: first deliveries of each user's events follow outbox id order.
  const outboxIds = new Map<string, number>(
    (await db.query(`SELECT event_id::text AS e, id::int AS id FROM outbox.events`)).map((r: { e: string; id: number }) => [r.e, r.id]),
  );
  const topic = await readTopic(kafka.brokers);
  const seen = new Set<string>();
  const lastByUser = new Map<string, number>();
  let orderViolations = 0;
  for (const m of topic) {
    const id = outboxIds.get(m.eventId);
    // Records no relay published (the injected poison) have no place in the outbox's order.
    if (id === undefined || seen.has(m.eventId)) continue;
    seen.add(m.eventId);
    if (id <= (lastByUser.get(m.key) ?? -1)) orderViolations++;
    lastByUser.set(m.key, id);
  }
  if (orderViolations > 0) problems.push(`${orderViolations} per-user order violations on Kafka`);
  if (seen.size < outbox.published) problems.push(`only ${seen.size} of ${outbox.published} published events found on the topic`);

  const duplicatesSkipped = await scrapeDuplicates(ledgerPorts);
  if (load.stats.gaveUp > 0) problems.push(`${load.stats.gaveUp} requests were never acknowledged`);
  const [{ journal, distinct }] = await db.query(`SELECT count(*)::int AS journal, count(DISTINCT event_id)::int AS distinct FROM ledger.entries`);

  return {
    seed: o.seed,
    requestsSent: load.stats.requestsSent,
    acknowledged: load.stats.acknowledged,
    messagesAcked: load.messages.size,
    adjustmentsAcked: load.adjustments.size,
    retriedAfterError: load.stats.retriedAfterError,
    deliberateDuplicates: load.stats.deliberateDuplicates,
    gaveUp: load.stats.gaveUp,
    faults,
    processCrashesRestarted: all.reduce((n, p) => n + p.crashes, 0),
    poisonInjected: poison,
    eventsInOutbox: outbox.total,
    eventsPublished: outbox.published,
    deadRows: outbox.dead,
    messagesOnTopic: topic.length,
    duplicatesDelivered: topic.filter((m) => outboxIds.has(m.eventId)).length - seen.size,
    duplicatesSkipped,
    eventsLost: lost,
    doubleApplied: journal - distinct,
    orderViolations,
    totalsMismatches,
    reconcileDrift: report.drifted,
    drainMs,
    problems,
  };
}

async function readTopic(brokers: string): Promise<Array<{ key: string; eventId: string }>> {
  const kafka = createKafka({ KAFKA_BROKERS: brokers }, { clientId: 'chaos-verifier' });
  const consumer = kafka.consumer({ groupId: `chaos-verifier-${Date.now()}`, maxWaitTimeInMs: 100, sessionTimeout: 6000 });
  const out: Array<{ key: string; eventId: string }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic: 'token-events', fromBeginning: true });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets('token-events');
  await admin.disconnect();
  const total = ends.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  const byPartition = new Map<number, Array<{ key: string; eventId: string }>>();
  let read = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${read} of ${total} topic messages`)), 120_000);
    void consumer.run({
      eachBatch: async ({ batch }) => {
        const list = byPartition.get(batch.partition) ?? [];
        for (const m of batch.messages) {
          list.push({ key: m.key?.toString() ?? '', eventId: m.headers?.['event-id']?.toString() ?? '' });
          read++;
        }
        byPartition.set(batch.partition, list);
        if (read >= total) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  // Order is per key and a key lives on one partition: concatenating partitions keeps each key's order.
  for (const list of byPartition.values()) out.push(...list);
  return out;
}

/** Sum of ledger_duplicates_skipped_total over the consumers (counters restart with their process). */
async function scrapeDuplicates(ports: number[]): Promise<number> {
  let total = 0;
  for (const port of ports) {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
    for (const line of text.split('\n')) {
      const m = /^ledger_duplicates_skipped_total(?:\{[^}]*\})? (\d+(?:\.\d+)?)$/.exec(line);
      if (m) total += Number(m[1]);
    }
  }
  return total;
}

/**
 * Records a misbehaving producer could put on the topic: a copy of an already published adjustment with
 * another delta under the same event id (a conflicting duplicate), and a 3 KB record that is not JSON, too
 * large for the DLQ topic (max.message.bytes 1 KB).
 */
async function injectPoison(databaseUrl: string, brokers: string): Promise<{ refused: number; conflicts: number }> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  let original: { partition_key: string; payload: { data: { tokens_delta: number } } } | undefined;
  try {
    ({
      rows: [original],
    } = await db.query(
      `SELECT partition_key, payload FROM outbox.events
        WHERE status = 'published' AND event_type = 'ledger.tokens.adjusted' ORDER BY random() LIMIT 1`,
    ));
  } finally {
    await db.end();
  }
  const producer = createKafka({ KAFKA_BROKERS: brokers }, { clientId: 'chaos-poison' }).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    const messages: Array<{ key: string; value: string }> = [{ key: `poison-${randomBytes(3).toString('hex')}`, value: `not json ${'x'.repeat(3_000)}` }];
    if (original) {
      const copy = { ...original.payload, data: { ...original.payload.data, tokens_delta: original.payload.data.tokens_delta + 1 } };
      messages.push({ key: original.partition_key, value: JSON.stringify(copy) });
    }
    await producer.send({ topic: 'token-events', acks: -1, messages });
    return { refused: 1, conflicts: original ? 1 : 0 };
  } finally {
    await producer.disconnect();
  }
}
