/**
 * Scenario 5: a peer side by side. `pg-transactional-outbox` (Frank Zehelein) moves the same envelopes to
 * the same broker as our relay, once with its polling listener and once with its logical-replication
 * listener, so its throughput (draining a pre-filled backlog) and its commit→ack latency can stand next to ours.
 *
 * How the peer is set up, and why:
 * - Schema, table, polling function, indexes, publication and slot come from the peer's own setup helper
 *   (`DatabaseSetupExporter.createPollingScript` / `DatabaseSetup.*`), the Node alternative its README
 *   gives to the CLI-generated SQL. The replication slot is created in its own statement because its
 *   README says slot creation must run in a separate transaction (a multi-statement query is one).
 * - Roles: the README advises a listener role (REPLICATION) and a handler role; here both are the bench
 *   superuser (`skipRoles`), which changes permissions, not the work done per message.
 * - Names: the peer's defaults (`public.outbox`, `public.next_outbox_messages`, publication
 *   `pg_transactional_outbox_pub`); only the slot gets a random suffix, slot names being server-wide.
 * - Settings: everything at the library defaults (polling batch 5, poll interval 500 ms, lock 5 s,
 *   processing timeout 15 s; replication: mutex concurrency controller = one message at a time, restart
 *   delay 250 ms) except what has no default: the schema/table/function/publication/slot names, and
 *   `enableMaxAttemptsProtection` / `enablePoisonousMessageProtection` = false, which is what its README
 *   outbox example and its outbox env defaults (TRX_OUTBOX_ENABLE_*=false) use.
 * - Rows: aggregate_type 'user', aggregate_id and segment = the user id (the segment is the peer's
 *   ordering unit, like our Kafka key: without it the polling function hands out one message per poll),
 *   concurrency left at its default 'sequential', payload = the gateway envelope, metadata = our headers.
 * - Logger: a collecting logger at 'warn' (pino's default logger would write JSON to our stdout and at
 *   'trace' the peer wraps every query); what it collects is surfaced in `note`.
 * - Handler: kafkajs, acks=-1, key = user id, value = the envelope JSON, headers event-id/event-type/
 *   content-type, DefaultPartitioner (same partition for a key as our relay), idempotent=false,
 *   allowAutoTopicCreation=false. maxInFlightRequests is left at the kafkajs default (ours uses 1) so
 *   the peer's 5 parallel polling handlers are not serialized by our choice of producer.
 * Each measurement gets a fresh database and a fresh 32-partition topic; slots and databases are dropped after.
 *
 * What 0.5.7 does here, to read its figures by: every poll calls next_outbox_messages, which seq-scans and
 * sorts all unprocessed rows (DISTINCT ON segment): ~23 ms at 20k rows, ~135 ms at 100k, for at most 5
 * messages, so polling throughput falls as the backlog grows. That function locks each candidate row
 * (FOR NO KEY UPDATE NOWAIT) before it checks locked_until, so it can hold a row just handed to a handler,
 * whose own NOWAIT lock then fails ("could not obtain lock on row"): the row waits out its 5 s lock, which
 * is the ~5.8 s polling latency max. The replication listener sends one message at a time (mutex).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { IHeaders, Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { Client } from 'pg';
import {
  DatabaseReplicationSetupConfig,
  DatabaseSetup,
  DatabaseSetupExporter,
  GeneralMessageHandler,
  initializePollingMessageListener,
  initializeReplicationMessageListener,
  TransactionalLogger,
} from 'pg-transactional-outbox';
import { BENCH_USERS, ENVELOPE_SQL, GENERATED_EVENTS_CTE, HEADERS_SQL } from '../harness/outbox-fill';
import { LatencySummary, summarizeLatency } from '../harness/stats';

export interface PeerOptions {
  /** superuser URL of the bench PG server (postgres://postgres:postgres@127.0.0.1:port/postgres) */
  serverUrl: string;
  /** bootstrap servers of the bench's Kafka broker (127.0.0.1:port) */
  brokers: string;
  /** creates a fresh empty topic, returns its name */
  newTopic: (prefix: string, partitions: number) => Promise<string>;
  /** new empty database on the server, returns its URL; pass migrate=false, the peer has its own schema */
  freshDatabase: (prefix: string, migrate?: boolean) => Promise<string>;
  /** backlog size (the bench: 5,000; quick: 1,000) */
  rows: number;
  latencySeconds: number;
  latencyRate: number;
  /** A backlog not drained by then is reported with the rate over this window (never extrapolated). */
  drainTimeoutMs: number;
}

export interface PeerVariantResult {
  eps: number | null;
  latency: { samples: number; p50_ms: number; p95_ms: number; p99_ms: number; max_ms: number } | null;
  note?: string;
}

type Variant = 'polling' | 'logical_replication';

const PACKAGE = 'pg-transactional-outbox';
const SCHEMA = 'public';
const TABLE = 'outbox';
const NEXT_MESSAGES_FN = 'next_outbox_messages';
const PUBLICATION = 'pg_transactional_outbox_pub';
/** How long after the last latency insert its ack may still come. */
const LATENCY_GRACE_MS = 30_000;
/** Rows sent and acked before the latency clock starts: connections, topic metadata, the batch-size ramp-up. */
const WARMUP_ROWS = 20;

export async function runPeerBench(
  o: PeerOptions,
): Promise<{ package: string; version: string; polling: PeerVariantResult; logical_replication: PeerVariantResult }> {
  const { version } = JSON.parse(readFileSync(require.resolve(`${PACKAGE}/package.json`), 'utf8')) as { version: string };
  return { package: PACKAGE, version, polling: await runVariant(o, 'polling'), logical_replication: await runVariant(o, 'logical_replication') };
}

async function runVariant(o: PeerOptions, variant: Variant): Promise<PeerVariantResult> {
  const notes: string[] = [];
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await fn();
    } catch (error) {
      notes.push(`${what} failed: ${(error as Error).message}`);
      return null;
    }
  };
  const eps = await attempt('throughput', () => measureThroughput(o, variant, notes));
  const latency = await attempt('latency', () => measureLatency(o, variant, notes));
  return { eps, latency, ...(notes.length ? { note: notes.join('; ') } : {}) };
}

/** Pre-fills N rows, starts the listener, and times listener start → the Nth distinct ack. */
async function measureThroughput(o: PeerOptions, variant: Variant, notes: string[]): Promise<number | null> {
  return withPeer(o, variant, notes, 'throughput', async (peer) => {
    await insertRows(peer.url, 0, o.rows, false);
    const started = Date.now();
    await peer.start();
    const drained = await waitUntil(() => peer.acks.size >= o.rows, o.drainTimeoutMs);
    if (!drained) {
      const rate = Math.round(peer.acks.size / ((Date.now() - started) / 1000));
      notes.push(`throughput: backlog not drained in ${o.drainTimeoutMs / 1000} s (${peer.acks.size} of ${o.rows} acked); eps is the rate over that window`);
      return rate;
    }
    const eps = Math.round(o.rows / ((peer.lastAckAt - started) / 1000));
    // Acks are counted in our own handler: check the broker holds them too before trusting the figure.
    const inTopic = await peer.topicSize();
    if (inTopic < o.rows) notes.push(`throughput: only ${inTopic} of ${o.rows} records in the topic after the last ack`);
    return eps;
  });
}

/** Inserts one row per transaction at a fixed rate from its own client; latency = ack time − commit time. */
async function measureLatency(o: PeerOptions, variant: Variant, notes: string[]): Promise<LatencySummary | null> {
  return withPeer(o, variant, notes, 'latency', async (peer) => {
    await peer.start();
    const client = new Client({ connectionString: peer.url });
    await client.connect();
    try {
      const insertOne = async (i: number): Promise<string> => {
        await client.query('BEGIN');
        const [id] = await insertRowsWith(client, i, 1, true);
        await client.query('COMMIT');
        return id!;
      };
      for (let i = 0; i < WARMUP_ROWS; i++) await insertOne(i);
      if (!(await waitUntil(() => peer.acks.size >= WARMUP_ROWS, LATENCY_GRACE_MS)))
        throw new Error(`warm-up rows not acked within ${LATENCY_GRACE_MS / 1000} s`);

      const committed = new Map<string, number>();
      const total = Math.round(o.latencyRate * o.latencySeconds);
      const interval = 1000 / o.latencyRate;
      const t0 = Date.now();
      for (let i = 0; i < total; i++) {
        // Open loop on a fixed schedule: a slow commit delays the next insert but never causes a burst.
        const wait = t0 + i * interval - Date.now();
        if (wait > 0) await sleep(wait);
        const id = await insertOne(WARMUP_ROWS + i);
        committed.set(id, Date.now());
      }
      const achieved = total / ((Date.now() - t0) / 1000);
      if (achieved < 0.9 * o.latencyRate) notes.push(`latency: inserts reached only ${Math.round(achieved)}/s of ${o.latencyRate}/s`);
      await waitUntil(() => [...committed.keys()].every((id) => peer.acks.has(id)), LATENCY_GRACE_MS);
      const samples: number[] = [];
      for (const [id, at] of committed) {
        const acked = peer.acks.get(id);
        if (acked !== undefined) samples.push(acked - at);
      }
      if (samples.length < total)
        notes.push(`latency: ${total - samples.length} of ${total} rows not acked within ${LATENCY_GRACE_MS / 1000} s of the last insert`);
      return samples.length ? summarizeLatency(samples) : null;
    } finally {
      await client.end();
    }
  });
}

interface RunningPeer {
  url: string;
  /** First ack time per message id (a re-send of an acked id is counted apart, as a duplicate). */
  acks: Map<string, number>;
  lastAckAt: number;
  start: () => Promise<void>;
  /** Records in the run's topic (sum of the partitions' high watermarks). */
  topicSize: () => Promise<number>;
}

/** Fresh database + peer schema + topic + producer around `fn`; afterwards stops everything it started. */
async function withPeer<T>(o: PeerOptions, variant: Variant, notes: string[], phase: string, fn: (peer: RunningPeer) => Promise<T>): Promise<T> {
  const url = await o.freshDatabase(variant === 'polling' ? 'peer_poll' : 'peer_repl', false);
  const slot = `peer_slot_${randomBytes(4).toString('hex')}`;
  const topic = await o.newTopic('peer', 32);
  const kafka = new Kafka({ clientId: 'peer-bench', brokers: o.brokers.split(','), logLevel: logLevel.ERROR });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false, idempotent: false });
  const { logger, problems, mute } = collectingLogger();
  let shutdown: (() => Promise<void>) | undefined;
  let duplicates = 0;
  try {
    await setUpPeerSchema(url, variant, slot);
    await producer.connect();
    const peer: RunningPeer = {
      url,
      acks: new Map(),
      lastAckAt: 0,
      start: async () => {
        [shutdown] = startListener(
          variant,
          url,
          slot,
          publisher(producer, topic, (id, at) => {
            if (peer.acks.has(id)) return void duplicates++;
            peer.acks.set(id, at);
            peer.lastAckAt = at;
          }),
          logger,
        );
      },
      topicSize: async () => {
        const admin = kafka.admin();
        await admin.connect();
        try {
          return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
        } finally {
          await admin.disconnect();
        }
      },
    };
    return await fn(peer);
  } finally {
    mute(); // what the peer logs while we pull its pools away mid-work is our doing, not its behaviour
    await shutdown?.().catch((e: Error) => problems.push(`shutdown: ${e.message}`));
    await producer.disconnect().catch(() => undefined);
    await dropSlotAndDatabase(o.serverUrl, url, variant === 'logical_replication' ? slot : undefined).catch((e: Error) =>
      problems.push(`cleanup: ${e.message}`),
    );
    if (duplicates) notes.push(`${phase}: ${duplicates} duplicate sends`);
    if (problems.length) notes.push(`${phase}: the peer logged ${problems.length} warning(s)/error(s): ${summarizeProblems(problems)}`);
  }
}

async function setUpPeerSchema(url: string, variant: Variant, slot: string): Promise<void> {
  const base = {
    outboxOrInbox: 'outbox' as const,
    database: new URL(url).pathname.slice(1),
    schema: SCHEMA,
    table: TABLE,
    listenerRole: decodeURIComponent(new URL(url).username) || 'postgres',
  };
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    if (variant === 'polling') {
      await client.query(DatabaseSetupExporter.createPollingScript({ ...base, nextMessagesName: NEXT_MESSAGES_FN }, true));
    } else {
      const config: DatabaseReplicationSetupConfig = { ...base, publication: PUBLICATION, replicationSlot: slot };
      await client.query(DatabaseSetup.dropAndCreateTable(config) + DatabaseSetup.grantPermissions(config) + DatabaseSetup.setupReplicationCore(config));
      // Before the backlog is written: a slot only streams what is committed after it exists.
      await client.query(DatabaseSetup.setupReplicationSlot(config));
    }
  } finally {
    await client.end();
  }
}

function startListener(variant: Variant, url: string, slot: string, handler: GeneralMessageHandler, logger: TransactionalLogger): [() => Promise<void>] {
  const dbListenerConfig = { connectionString: url };
  const settings = { dbSchema: SCHEMA, dbTable: TABLE, enableMaxAttemptsProtection: false, enablePoisonousMessageProtection: false };
  return variant === 'polling'
    ? initializePollingMessageListener(
        { outboxOrInbox: 'outbox', dbListenerConfig, settings: { ...settings, nextMessagesFunctionName: NEXT_MESSAGES_FN } },
        handler,
        logger,
      )
    : initializeReplicationMessageListener(
        { outboxOrInbox: 'outbox', dbListenerConfig, settings: { ...settings, dbPublication: PUBLICATION, dbReplicationSlot: slot } },
        handler,
        logger,
      );
}

/** The peer's message handler: one Kafka send per message, as its README's publisher example does. */
function publisher(producer: Producer, topic: string, onAck: (id: string, at: number) => void): GeneralMessageHandler {
  return {
    handle: async (message) => {
      const headers: IHeaders = {};
      for (const [k, v] of Object.entries(message.metadata ?? {})) if (typeof v === 'string') headers[k] = v;
      await producer.send({ topic, acks: -1, messages: [{ key: message.aggregateId, value: JSON.stringify(message.payload), headers }] });
      onAck(message.id, Date.now());
    },
  };
}

/** `count` rows from index `from` in one statement, shaped like bench/harness/outbox-fill.ts writes outbox.events. */
async function insertRows(url: string, from: number, count: number, returning: boolean): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (let at = from; at < from + count; at += 100_000) await insertRowsWith(client, at, Math.min(100_000, from + count - at), returning);
    await client.query(`ANALYZE ${SCHEMA}.${TABLE}`);
  } finally {
    await client.end();
  }
}

async function insertRowsWith(client: Client, from: number, count: number, returning: boolean): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `${GENERATED_EVENTS_CTE}
     INSERT INTO ${SCHEMA}.${TABLE} (id, aggregate_type, aggregate_id, message_type, segment, payload, metadata)
     SELECT event_id, 'user', user_id, 'chat.message.recorded', user_id, ${ENVELOPE_SQL}, ${HEADERS_SQL}
       FROM g ORDER BY i${returning ? ' RETURNING id' : ''}`,
    [from, from + count - 1, BENCH_USERS],
  );
  return rows.map((r) => r.id);
}

/** The slot stays "active" for a moment after the listener's connection closes, so dropping it is retried. */
async function dropSlotAndDatabase(serverUrl: string, url: string, slot: string | undefined): Promise<void> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    if (slot) {
      for (let i = 0; ; i++) {
        try {
          await admin.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]);
          break;
        } catch (error) {
          if (i >= 50) throw error;
          await sleep(100);
        }
      }
    }
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(new URL(url).pathname.slice(1))} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** The peer's logger interface, keeping warnings and errors for the result's note instead of printing them. */
function collectingLogger(): { logger: TransactionalLogger; problems: string[]; mute: () => void } {
  const problems: string[] = [];
  let muted = false;
  const keep = (...args: unknown[]) => {
    if (muted) return;
    const text = args
      .map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : ''))
      .filter(Boolean)
      .join(': ');
    problems.push(text.slice(0, 300));
  };
  const ignore = () => undefined;
  const logger = { level: 'warn', fatal: keep, error: keep, warn: keep, info: ignore, debug: ignore, trace: ignore, silent: ignore };
  return { logger, problems, mute: () => (muted = true) };
}

/** Groups log lines that differ only by message id: `12× "could not obtain lock …"`, most frequent first. */
function summarizeProblems(problems: string[]): string {
  const counts = new Map<string, number>();
  for (const p of problems) {
    const key = p.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([text, n]) => `${n}× "${text}"`)
    .join(', ');
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
