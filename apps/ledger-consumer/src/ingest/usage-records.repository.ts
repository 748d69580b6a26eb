import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { JournalRow } from './consumed-record';

/** Advisory lock class of usage records (pg_advisory_xact_lock(class, hash)); a name space of its own. */
const USAGE_RECORD_LOCK_CLASS = 0x75726563; // 'urec'

const KINDS = ['prompt_tokens', 'completion_tokens', 'cached_tokens', 'cache_write_tokens', 'reasoning_tokens', 'total_tokens'] as const;
type Kind = (typeof KINDS)[number];
type Counts = Record<Kind, number>;
/** What stays the same on every row of one record; the first applied event fixes it. */
const IDENTITY = ['user_id', 'conversation_id', 'model', 'channel', 'operation', 'org_id', 'project_id', 'api_key_id'] as const;
type Identity = Pick<JournalRow, (typeof IDENTITY)[number]>;

interface RecordState {
  identity: Identity;
  revision: number;
  counted: Counts;
}

export interface UsageRecordRebase {
  /** The rows given, in the same order; usage records' token columns now count what they change. */
  rows: JournalRow[];
  /** Events naming a record with another user or other dimensions than it has: event id → why. */
  mismatches: Map<string, string>;
}

const keyOf = (row: { source: string; external_id?: string | null }) => `${row.source}\u0000${row.external_id}`;

/**
 * A usage record counts its latest revision, whatever order its events arrive in. Each event carries its
 * revision's full usage; this rebases it, in the apply transaction, on what the ledger has counted for the
 * record (ledger.usage_records, plus the rows before it in the batch):
 * - a revision above the latest applied counts the difference (negative where the numbers went down);
 * - a revision at or below it (a replay of part of the outbox, a late copy) counts nothing, but is journaled,
 *   so its event id is known and every replay order leaves the same event count.
 * So totals equal the latest revisions after any replay, partial replay or reordering, and the event's own
 * `delta` (the gateway's view) is not needed here; a ledger rebuilt from a partial replay would be wrong with it.
 *
 * Events already in the journal are left alone: the journal insert skips (or flags) them. Each record is
 * locked for the transaction first, so two batches (two consumers during a rebalance, or a foreign producer
 * keying by another user) never rebase on the same state.
 */
@Injectable()
export class UsageRecordsRepository {
  async rebase(manager: EntityManager, rows: JournalRow[]): Promise<UsageRecordRebase> {
    const records = rows.filter((r) => r.external_id !== undefined && r.external_id !== null);
    const mismatches = new Map<string, string>();
    if (records.length === 0) return { rows, mismatches };

    const keys = [...new Map(records.map((r) => [keyOf(r), { source: r.source, external_id: r.external_id! }])).values()];
    const sources = keys.map((k) => k.source);
    const externalIds = keys.map((k) => k.external_id);
    await manager.query(
      `SELECT pg_advisory_xact_lock(${USAGE_RECORD_LOCK_CLASS}, h)
         FROM (SELECT DISTINCT hashtext(s || chr(1) || x) AS h FROM unnest($1::text[], $2::text[]) AS k(s, x) ORDER BY 1) ordered`,
      [sources, externalIds],
    );
    const stored: Array<Record<string, string | null>> = await manager.query(
      `SELECT source, external_id, user_id, conversation_id::text, model, channel, operation, org_id, project_id, api_key_id, revision::text,
              ${KINDS.map((k) => `${k}::text`).join(', ')}
         FROM ledger.usage_records
        WHERE (source, external_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [sources, externalIds],
    );
    const known = new Set(
      (
        await manager.query(
          `SELECT event_id::text FROM ledger.entries WHERE event_id = ANY($1::uuid[])
           UNION ALL SELECT event_id::text FROM ledger.folded_events WHERE event_id = ANY($1::uuid[])`,
          [records.map((r) => r.event_id)],
        )
      ).map((r: { event_id: string }) => r.event_id),
    );

    const state = new Map<string, RecordState>();
    for (const s of stored) {
      state.set(keyOf({ source: s.source!, external_id: s.external_id }), {
        identity: Object.fromEntries(IDENTITY.map((c) => [c, s[c]])) as unknown as Identity,
        revision: Number(s.revision),
        counted: Object.fromEntries(KINDS.map((k) => [k, Number(s[k])])) as Counts,
      });
    }

    const rebased = new Map<string, JournalRow>();
    const inApplyOrder = [...records].sort((a, b) => a.kafka_partition - b.kafka_partition || Number(BigInt(a.kafka_offset) - BigInt(b.kafka_offset)));
    for (const row of inApplyOrder) {
      if (known.has(row.event_id)) continue;
      const key = keyOf(row);
      const current = state.get(key);
      if (current) {
        const differs = IDENTITY.filter((c) => (current.identity[c] ?? null) !== (row[c] ?? null));
        if (differs.length > 0) {
          const said = (identity: Identity) => differs.map((c) => `${c} ${identity[c] ?? 'null'}`).join(', ');
          mismatches.set(
            row.event_id,
            `usage record ${row.source}/${row.external_id} has ${said(current.identity)}; this event names ${said(row)}: the event is not counted`,
          );
          continue;
        }
      }
      const counted = current?.counted ?? zero();
      const full = Object.fromEntries(KINDS.map((k) => [k, row[k]])) as Counts;
      // At or below the latest revision applied: late, changes nothing.
      const stale = current !== undefined && row.revision! <= current.revision;
      const delta = stale ? zero() : (Object.fromEntries(KINDS.map((k) => [k, full[k] - counted[k]])) as Counts);
      rebased.set(row.event_id, {
        ...row,
        ...delta,
        tokens_delta: delta.total_tokens,
        base_prompt_tokens: counted.prompt_tokens,
        base_completion_tokens: counted.completion_tokens,
        base_cached_tokens: counted.cached_tokens,
        base_cache_write_tokens: counted.cache_write_tokens,
        base_reasoning_tokens: counted.reasoning_tokens,
      });
      if (!stale) state.set(key, { identity: current?.identity ?? pickIdentity(row), revision: row.revision!, counted: full });
    }
    return { rows: rows.map((r) => rebased.get(r.event_id) ?? r), mismatches };
  }
}

function zero(): Counts {
  return Object.fromEntries(KINDS.map((k) => [k, 0])) as Counts;
}

function pickIdentity(row: JournalRow): Identity {
  return Object.fromEntries(IDENTITY.map((c) => [c, row[c] ?? null])) as unknown as Identity;
}
