import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { TokenUsageV2 } from '@chat-ledger/contracts';
import { rfc3339 } from '@chat-ledger/database';

/** What a record is about; fixed by its first accepted revision. */
export interface UsageRecordIdentity {
  user_id: string;
  conversation_id: string | null;
  model: string | null;
  channel: string | null;
  operation: string | null;
  /** The record's tenant, fixed by its first revision like the rest (null: none, e.g. records from before tenants). */
  org_id: string | null;
  project_id: string | null;
  api_key_id: string | null;
}

export interface UsageRecordRow extends UsageRecordIdentity {
  source: string;
  external_id: string;
  revision: number;
  created_at: string;
  updated_at: string;
}

export interface UsageRevisionRow {
  revision: number;
  previous_revision: number | null;
  occurred_at: string;
  usage: TokenUsageV2;
  event_id: string;
  received_at: string;
}

const KINDS = ['prompt_tokens', 'completion_tokens', 'cached_tokens', 'cache_write_tokens', 'reasoning_tokens', 'total_tokens'] as const;

const RECORD_COLUMNS = `r.source, r.external_id, r.user_id, r.conversation_id::text, r.model, r.channel, r.operation,
  r.org_id, r.project_id, r.api_key_id, r.revision::text,
  ${rfc3339('r.created_at')} AS created_at, ${rfc3339('r.updated_at')} AS updated_at`;
const REVISION_COLUMNS = `v.revision::text, v.previous_revision::text, ${rfc3339('v.occurred_at')} AS occurred_at,
  ${KINDS.map((k) => `v.${k}`).join(', ')}, v.event_id::text, ${rfc3339('v.received_at')} AS received_at`;

function toRecord(row: Record<string, string | null>): UsageRecordRow {
  return {
    source: row.source!,
    external_id: row.external_id!,
    user_id: row.user_id!,
    conversation_id: row.conversation_id,
    model: row.model,
    channel: row.channel,
    operation: row.operation,
    org_id: row.org_id,
    project_id: row.project_id,
    api_key_id: row.api_key_id,
    revision: Number(row.revision),
    created_at: row.created_at!,
    updated_at: row.updated_at!,
  };
}

function toRevision(row: Record<string, string | number | null>): UsageRevisionRow {
  return {
    revision: Number(row.revision),
    previous_revision: row.previous_revision === null ? null : Number(row.previous_revision),
    occurred_at: row.occurred_at as string,
    usage: Object.fromEntries(KINDS.map((k) => [k, Number(row[k])])) as unknown as TokenUsageV2,
    event_id: row.event_id as string,
    received_at: row.received_at as string,
  };
}

@Injectable()
export class UsageRecordsRepository {
  /**
   * The record, locked for the transaction: every write of one (source, external_id) decides on the state
   * the one before it committed.
   */
  async lock(manager: EntityManager, source: string, externalId: string): Promise<UsageRecordRow | undefined> {
    const [row] = await manager.query(`SELECT ${RECORD_COLUMNS} FROM chat.usage_records r WHERE r.source = $1 AND r.external_id = $2 FOR UPDATE`, [
      source,
      externalId,
    ]);
    return row ? toRecord(row) : undefined;
  }

  async find(manager: EntityManager, source: string, externalId: string): Promise<UsageRecordRow | undefined> {
    const [row] = await manager.query(`SELECT ${RECORD_COLUMNS} FROM chat.usage_records r WHERE r.source = $1 AND r.external_id = $2`, [source, externalId]);
    return row ? toRecord(row) : undefined;
  }

  /**
   * Creates the record, locked by this transaction; undefined when another transaction created it first (this
   * insert waited for it to commit), and the caller locks that one instead.
   */
  async create(
    manager: EntityManager,
    source: string,
    externalId: string,
    identity: UsageRecordIdentity,
    revision: number,
  ): Promise<UsageRecordRow | undefined> {
    const [row] = await manager.query(
      `INSERT INTO chat.usage_records AS r (source, external_id, user_id, conversation_id, model, channel, operation, org_id, project_id, api_key_id, revision)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (source, external_id) DO NOTHING
       RETURNING ${RECORD_COLUMNS}`,
      [
        source,
        externalId,
        identity.user_id,
        identity.conversation_id,
        identity.model,
        identity.channel,
        identity.operation,
        identity.org_id,
        identity.project_id,
        identity.api_key_id,
        revision,
      ],
    );
    return row ? toRecord(row) : undefined;
  }

  /** Makes `revision` the record's latest. */
  async advance(manager: EntityManager, source: string, externalId: string, revision: number): Promise<UsageRecordRow> {
    const [rows] = await manager.query(
      `UPDATE chat.usage_records r SET revision = $3, updated_at = clock_timestamp() WHERE r.source = $1 AND r.external_id = $2 RETURNING ${RECORD_COLUMNS}`,
      [source, externalId, revision],
    );
    return toRecord(rows[0]);
  }

  async revision(manager: EntityManager, source: string, externalId: string, revision: number): Promise<UsageRevisionRow | undefined> {
    const [row] = await manager.query(
      `SELECT ${REVISION_COLUMNS} FROM chat.usage_record_revisions v WHERE v.source = $1 AND v.external_id = $2 AND v.revision = $3`,
      [source, externalId, revision],
    );
    return row ? toRevision(row) : undefined;
  }

  async addRevision(
    manager: EntityManager,
    source: string,
    externalId: string,
    row: Pick<UsageRevisionRow, 'revision' | 'previous_revision' | 'occurred_at' | 'usage' | 'event_id'>,
  ): Promise<UsageRevisionRow> {
    const [inserted] = await manager.query(
      `INSERT INTO chat.usage_record_revisions AS v (source, external_id, revision, previous_revision, occurred_at, ${KINDS.join(', ')}, event_id)
       VALUES ($1, $2, $3, $4, $5::timestamptz, ${KINDS.map((_, i) => `$${i + 6}`).join(', ')}, $12)
       RETURNING ${REVISION_COLUMNS}`,
      [source, externalId, row.revision, row.previous_revision, row.occurred_at, ...KINDS.map((k) => row.usage[k]), row.event_id],
    );
    return toRevision(inserted);
  }

  /** Every accepted revision, oldest first. */
  async history(manager: EntityManager, source: string, externalId: string): Promise<UsageRevisionRow[]> {
    const rows = await manager.query(
      `SELECT ${REVISION_COLUMNS} FROM chat.usage_record_revisions v WHERE v.source = $1 AND v.external_id = $2 ORDER BY v.revision`,
      [source, externalId],
    );
    return rows.map(toRevision);
  }
}
