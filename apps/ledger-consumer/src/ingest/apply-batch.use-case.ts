import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { decodeTokenEvent, toSafeText } from '@chat-ledger/contracts';
import { pgErrorCode } from '@chat-ledger/database';
import { ErasureCounts, LedgerErasureRepository } from '../erasure/ledger-erasure.repository';
import { JOURNAL_FOLD_LOCK } from '../ledger/journal-fold-lock';
import { LedgerMetrics } from '../metrics/ledger-metrics';
import { ConsumedRecord, DeadLetterRow, ErasureRow, JournalRow, NoticeRow, toDeadLetterRow, toLedgerRow } from './consumed-record';
import { LedgerWriteRepository, ModelSums, SequenceAnomaly } from './ledger-write.repository';
import { UsageRecordsRepository } from './usage-records.repository';

/** A record after decoding: a journal row to apply, a notice to keep, an erasure to carry out, or a dead letter to store. */
export type PreparedItem =
  | { record: ConsumedRecord; journal: JournalRow }
  | { record: ConsumedRecord; notice: NoticeRow }
  | { record: ConsumedRecord; erasure: ErasureRow }
  | { record: ConsumedRecord; deadLetter: DeadLetterRow };

/** The event a prepared item carries (journal row or notice); undefined for a dead letter. */
function eventOf(item: PreparedItem): JournalRow | NoticeRow | undefined {
  return 'journal' in item ? item.journal : 'notice' in item ? item.notice : undefined;
}

/** Id and type of the event a prepared item carries, erasures included. */
function eventIdentity(item: PreparedItem): { event_id: string | null; event_type: string | null } {
  if ('erasure' in item) return { event_id: item.erasure.event_id, event_type: 'user.erased' };
  const event = eventOf(item);
  if (event) return { event_id: event.event_id, event_type: event.event_type };
  return 'deadLetter' in item ? { event_id: item.deadLetter.event_id, event_type: item.deadLetter.event_type } : { event_id: null, event_type: null };
}

export interface ApplyResult {
  /** Journal rows newly written (and folded into the totals), by event type. */
  applied: Record<string, number>;
  /** Their tokens and cost by model. */
  byModel: ModelSums[];
  /** Valid events whose id was already in the journal, or repeated within the batch. */
  duplicates: number;
  /** Every rejected record of the batch (also those stored by an earlier delivery), in offset order. */
  deadLetters: DeadLetterRow[];
  /** Reasons of the dead letters newly stored by this call (a redelivered record is stored once). */
  deadLettersStored: string[];
  /** Events whose id was applied before with another payload (dead-lettered as conflicting_duplicate). */
  conflicts: number;
  /** Gaps and reorders of per-user sequence numbers seen in this batch. */
  anomalies: SequenceAnomaly[];
  /** user.erased events carried out (a replayed one again, finding what is left). */
  erasures: ErasureCounts[];
}

/**
 * Errors that say "this data can never be stored" (SQLSTATE classes 22 data exception and 23 integrity
 * violation): retrying cannot help, so the offending record is isolated and dead-lettered. Everything
 * else (connection loss, timeouts, serialization failures, an unavailable database) is retried.
 */
export function isDataError(error: unknown): boolean {
  const code = pgErrorCode(error);
  return code !== undefined && (code.startsWith('22') || code.startsWith('23'));
}

/**
 * Applies one Kafka batch: decode and validate every record, then in ONE transaction insert the journal
 * rows (skipping event ids already applied), fold the new ones into the balances and store the dead
 * letters. Idempotent: applying the same records again changes nothing (Guarantee 4).
 */
@Injectable()
export class ApplyBatchUseCase {
  private readonly logger = new Logger(ApplyBatchUseCase.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: LedgerWriteRepository,
    private readonly usageRecords: UsageRecordsRepository,
    private readonly erasures: LedgerErasureRepository,
    private readonly metrics: LedgerMetrics,
  ) {}

  /** Pure: decodes the records (done once per batch, outside any retry). */
  prepare(records: ConsumedRecord[]): PreparedItem[] {
    return records.map((record) => {
      const decoded = decodeTokenEvent(record.value);
      return decoded.ok ? { record, ...toLedgerRow(decoded.event, record) } : { record, deadLetter: toDeadLetterRow(record, decoded) };
    });
  }

  async execute(records: ConsumedRecord[]): Promise<ApplyResult> {
    return this.apply(this.prepare(records));
  }

  /** Throws when the database is unavailable; the caller retries with the same items. */
  async apply(items: PreparedItem[]): Promise<ApplyResult> {
    const result = await this.applyIsolating(items);
    for (const [type, n] of Object.entries(result.applied)) this.metrics.eventsApplied.inc({ type }, n);
    this.metrics.countByModel(result.byModel);
    this.metrics.duplicatesSkipped.inc(result.duplicates);
    for (const reason of result.deadLettersStored) this.metrics.deadLetters.inc({ reason });
    this.metrics.conflictingDuplicates.inc(result.conflicts);
    this.metrics.erasures.inc(result.erasures.length);
    for (const anomaly of result.anomalies) {
      this.metrics.sequenceAnomalies.inc({ kind: anomaly.kind });
      this.logger.warn({
        msg: `per-user sequence ${anomaly.kind}`,
        user_id: anomaly.user_id,
        expected_seq: anomaly.expected_seq,
        seen_seq: anomaly.seen_seq,
        event_id: anomaly.event.event_id,
      });
    }
    return result;
  }

  private async applyIsolating(items: PreparedItem[]): Promise<ApplyResult> {
    try {
      return await this.applyInTransaction(items);
    } catch (error) {
      if (!isDataError(error) || items.length === 0) throw error;
      if (items.length === 1) {
        // The database refuses this one record although it passed validation: keep it, move on.
        const item = items[0]!;
        this.logger.warn({
          msg: 'record rejected by the database, dead-lettered',
          topic: item.record.topic,
          partition: item.record.partition,
          offset: item.record.offset,
          sqlstate: pgErrorCode(error),
        });
        const rejected: PreparedItem = {
          record: item.record,
          deadLetter: {
            ...toDeadLetterRow(item.record, { ok: false, reason: 'invalid_data', error: '' }),
            reason: 'rejected_by_database',
            error: toSafeText(`database rejected the record (SQLSTATE ${pgErrorCode(error)}): ${(error as Error).message}`),
            ...eventIdentity(item),
          },
        };
        try {
          return await this.applyInTransaction('deadLetter' in item ? [{ record: item.record, deadLetter: storable(item.deadLetter, error) }] : [rejected]);
        } catch (again) {
          if (!isDataError(again)) throw again;
          // Even the dead letter is refused (a key, header or timestamp PostgreSQL cannot take): keep the raw
          // value and the position, drop the rest and say so, so the partition moves on.
          return this.applyInTransaction([{ record: item.record, deadLetter: storable(rejected.deadLetter, again) }]);
        }
      }
      // Bisect: each half in its own transaction, so one bad record costs log2(n) extra round trips.
      const middle = Math.ceil(items.length / 2);
      const left = await this.applyIsolating(items.slice(0, middle));
      const right = await this.applyIsolating(items.slice(middle));
      return merge(left, right);
    }
  }

  /**
   * One transaction for the whole batch. A user.erased event splits it: the records before it are applied first
   * (so the user's last events are counted, then pseudonymised with the rest), those after it once it is done.
   */
  private async applyInTransaction(items: PreparedItem[]): Promise<ApplyResult> {
    return this.dataSource.transaction(async (manager) => {
      // Journal folding takes this lock exclusively: a batch never sees an entry half folded away.
      await manager.query(`SELECT pg_advisory_xact_lock_shared(${JOURNAL_FOLD_LOCK})`);
      let result = emptyResult();
      let segment: PreparedItem[] = [];
      for (const item of items) {
        if (!('erasure' in item)) {
          segment.push(item);
          continue;
        }
        result = merge(result, await this.applySegment(manager, segment));
        segment = [];
        const counts = await this.erasures.erase(manager, item.erasure);
        this.logger.log({ msg: 'user erased in the ledger', erasure_id: item.erasure.erasure_id, ...counts });
        result.erasures.push(counts);
      }
      return merge(result, await this.applySegment(manager, segment));
    });
  }

  private async applySegment(manager: EntityManager, items: PreparedItem[]): Promise<ApplyResult> {
    if (items.length === 0) return emptyResult();
    const journal: JournalRow[] = [];
    const notices: NoticeRow[] = [];
    const byId = new Map<string, { row: JournalRow | NoticeRow; record: ConsumedRecord }>();
    let repeatedInBatch = 0;
    const deadLetters: DeadLetterRow[] = [];
    for (const item of items) {
      if ('deadLetter' in item) {
        deadLetters.push(item.deadLetter);
        continue;
      }
      const row = eventOf(item);
      if (!row) continue; // an erasure: applySegment never gets one
      const first = byId.get(row.event_id);
      if (!first) {
        byId.set(row.event_id, { row, record: item.record });
        if ('journal' in item) journal.push(item.journal);
        else if ('notice' in item) notices.push(item.notice);
      } else if (first.row.payload_digest === row.payload_digest) {
        repeatedInBatch += 1;
      } else {
        deadLetters.push(conflictingDuplicate(item.record, row));
      }
    }
    const mismatches = await this.ledger.ownerMismatches(manager, journal);
    const kept = await this.ledger.storeNotices(manager, notices);
    const owned = journal.filter((row) => !mismatches.has(row.event_id));
    for (const [eventId, owner] of mismatches) {
      const { row, record } = byId.get(eventId)! as { row: JournalRow; record: ConsumedRecord };
      deadLetters.push(
        rejectedEvent(
          record,
          row,
          'conversation_owner_mismatch',
          `conversation ${row.conversation_id} belongs to user ${owner}, not ${row.user_id}: the event is not counted`,
        ),
      );
    }
    // After the owner check: a usage record's revision is rebased on the rows counted before it, so only
    // rows that will be counted may become the base of a later one.
    const rebased = await this.usageRecords.rebase(manager, owned);
    const toApply = rebased.rows.filter((row) => !rebased.mismatches.has(row.event_id));
    for (const [eventId, problem] of rebased.mismatches) {
      const { row, record } = byId.get(eventId)! as { row: JournalRow; record: ConsumedRecord };
      deadLetters.push(rejectedEvent(record, row, 'usage_record_mismatch', problem));
    }
    const result = await this.ledger.applyJournal(manager, toApply);
    for (const eventId of [...result.conflicts, ...kept.conflicts]) {
      const { row, record } = byId.get(eventId)!;
      deadLetters.push(conflictingDuplicate(record, row));
    }
    // Notices carry their user's sequence numbers too: one Kafka-ordered list, or every notice would look like a gap.
    const sequenced = [...result.sequenced, ...kept.sequenced].sort(
      (a, b) => a.kafka_partition - b.kafka_partition || Number(BigInt(a.kafka_offset) - BigInt(b.kafka_offset)),
    );
    const anomalies = await this.ledger.recordSequences(manager, sequenced);
    deadLetters.sort((x, y) => x.partition - y.partition || Number(BigInt(x.offset) - BigInt(y.offset)));
    const deadLettersStored = await this.ledger.storeDeadLetters(manager, deadLetters);
    const appliedCount = Object.values(result.applied).reduce((a, b) => a + b, 0);
    return {
      applied: mergeCounts(result.applied, kept.applied),
      byModel: result.byModel,
      duplicates: toApply.length - appliedCount - result.conflicts.length + notices.length - kept.stored - kept.conflicts.length + repeatedInBatch,
      deadLetters,
      deadLettersStored,
      conflicts: deadLetters.filter((d) => d.reason === 'conflicting_duplicate').length,
      anomalies,
      erasures: [],
    };
  }
}

function emptyResult(): ApplyResult {
  return { applied: {}, byModel: [], duplicates: 0, deadLetters: [], deadLettersStored: [], conflicts: 0, anomalies: [], erasures: [] };
}

function mergeCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, n] of Object.entries(b)) out[k] = (out[k] ?? 0) + n;
  return out;
}

/** A valid event the ledger does not count, as a dead letter: its raw record, why, and which event it was. */
function rejectedEvent(record: ConsumedRecord, row: JournalRow | NoticeRow, reason: string, error: string): DeadLetterRow {
  return {
    ...toDeadLetterRow(record, { ok: false, reason: 'invalid_data', error: '' }),
    reason,
    error: toSafeText(error),
    event_id: row.event_id,
    event_type: row.event_type,
  };
}

function conflictingDuplicate(record: ConsumedRecord, row: JournalRow | NoticeRow): DeadLetterRow {
  return rejectedEvent(
    record,
    row,
    'conflicting_duplicate',
    `event ${row.event_id} was applied before with another payload (digest ${row.payload_digest.slice(0, 16)}… differs): this copy is not counted`,
  );
}

/** What PostgreSQL can always store of a dead letter: position, raw value, reason; the rest named in `error`. */
function storable(deadLetter: DeadLetterRow, error: unknown): DeadLetterRow {
  return {
    ...deadLetter,
    key: null,
    headers: [],
    event_id: null,
    event_type: null,
    kafka_timestamp: null,
    error: toSafeText(
      `${deadLetter.error}; stored without key, headers, event id and type, and Kafka timestamp: PostgreSQL refused them (SQLSTATE ${pgErrorCode(error)}: ${(error as Error).message})`,
    ),
  };
}

function merge(a: ApplyResult, b: ApplyResult): ApplyResult {
  const applied = { ...a.applied };
  for (const [type, n] of Object.entries(b.applied)) applied[type] = (applied[type] ?? 0) + n;
  return {
    applied,
    byModel: [...a.byModel, ...b.byModel],
    duplicates: a.duplicates + b.duplicates,
    deadLetters: [...a.deadLetters, ...b.deadLetters],
    deadLettersStored: [...a.deadLettersStored, ...b.deadLettersStored],
    conflicts: a.conflicts + b.conflicts,
    anomalies: [...a.anomalies, ...b.anomalies],
    erasures: [...a.erasures, ...b.erasures],
  };
}
