import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { rfc3339 } from '@chat-ledger/database';
import { OutboxLock, outboxAppendCtes, OutboxRowValues } from '@chat-ledger/outbox';
import { MessageContent, messageContentValues } from './messages.repository';

/** A message into an existing conversation, with what the tenant rules compare. */
export interface OneStatementMessage extends MessageContent {
  userId: string;
  conversationId: string;
  messageId: string;
  /** The token's org_id claim: the user must not be bound to another organisation. */
  claimedOrg: string | null;
  /** The token's project_id claim: the conversation must not be of another project. */
  tokenProject: string | null;
  /** The body's project_id, when given: it must be the conversation's. */
  requestedProject: string | undefined;
}

export interface OneStatementWritten {
  /** The message's time (RFC 3339, microseconds), as the envelope and the conversation have it. */
  created_at: string;
}

const MESSAGE_PARAMS = 18;

/**
 * The statement ($1 user, $2 conversation, $3 message id, $4 claimed org, $5 token project, $6 whether a project was
 * requested, $7 that project, $8–$18 the message; then the outbox row's id, type, envelope and headers). Its steps run
 * in this order because each reads the one before:
 * 1. `gate`: the user's write lock (the same lock every write of the user takes first, so their messages and events
 *    stay in order), whether a user or organisation budget applies and the organisation the user is bound to;
 * 2. `conv`: the conversation's counters, only when no budget applies and every tenant rule holds (else nothing is
 *    written and the caller runs the full transaction, which refuses with the precise error or checks the budget);
 * 3. the message, and the outbox row whose envelope gets the conversation's tenant and the message's time.
 */
function oneStatementSql(withOutbox: boolean): string {
  const envelope = `$${MESSAGE_PARAMS + 3}::jsonb`;
  const outbox = withOutbox
    ? `,
  ${outboxAppendCtes('conv', {
    eventId: `$${MESSAGE_PARAMS + 1}::uuid`,
    eventType: `$${MESSAGE_PARAMS + 2}::text`,
    partitionKey: '$1::text',
    payload: `jsonb_set(${envelope}, '{data}', (${envelope} -> 'data') || jsonb_build_object('org_id', conv.org_id, 'project_id', conv.project_id))
             || jsonb_build_object('occurred_at', conv.created_at)`,
    headers: `$${MESSAGE_PARAMS + 4}::jsonb`,
    eraseOnPublish: 'false',
  })}`
    : '';
  return `
  WITH gate AS MATERIALIZED (
    SELECT pg_advisory_xact_lock(${OutboxLock.userWrite}, hashtext($1::text))::text AS locked,
           EXISTS (SELECT 1 FROM chat.budgets WHERE user_id = $1::text) AS budgeted,
           EXISTS (SELECT 1 FROM chat.org_budgets ob WHERE ob.org_id = coalesce(o.org_id, $4::text)) AS org_budgeted,
           o.org_id AS bound_org
      FROM (SELECT 1) one LEFT JOIN chat.user_orgs o ON o.user_id = $1::text
  ),
  conv AS (
    UPDATE chat.conversations c
       SET message_count = c.message_count + 1, last_message_at = clock_timestamp(), updated_at = clock_timestamp()
      FROM gate
     WHERE c.id = $2::uuid AND c.user_id = $1::text AND c.status <> 'deleted'
       AND NOT gate.budgeted AND NOT gate.org_budgeted
       AND ($4::text IS NULL OR gate.bound_org IS NULL OR gate.bound_org = $4::text)
       AND ($5::text IS NULL OR c.project_id IS NULL OR c.project_id = $5::text)
       AND (NOT $6::boolean OR c.project_id IS NOT DISTINCT FROM $7::text)
    RETURNING c.last_message_at, ${rfc3339('c.last_message_at')} AS created_at, c.org_id, c.project_id
  ),
  message AS (
    INSERT INTO chat.messages (id, conversation_id, user_id, role, content, model,
      prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, total_tokens, channel, operation, created_at)
    SELECT $3::uuid, $2::uuid, $1::text, $8::text, $9::text, $10::text, $11::int, $12::int, $13::int, $14::int, $15::int, $16::int,
           $17::text, $18::text, conv.last_message_at
      FROM conv
  )${outbox}
  SELECT created_at FROM conv`;
}

/**
 * The common write of a chat backend, a message into an existing conversation of a user without a budget, as ONE
 * statement: PostgreSQL runs a single statement as its own transaction, so the message, the conversation's counters
 * and the outbox row commit together or not at all (Guarantee 1), in one round trip instead of six (BEGIN, lock,
 * counters, message, outbox row, COMMIT). The transaction of RecordMessageUseCase stays the one definition of the
 * rules; this statement writes only where it would come to the same result, and says when it did not write.
 */
@Injectable()
export class MessageWriteRepository {
  private readonly sql = { withOutbox: oneStatementSql(true), withoutOutbox: oneStatementSql(false) };

  /** Undefined: nothing written (a budget applies, a tenant rule fails or there is no such conversation). */
  async recordInOneStatement(manager: EntityManager, m: OneStatementMessage, outboxRow: OutboxRowValues | undefined): Promise<OneStatementWritten | undefined> {
    const params: unknown[] = [
      m.userId,
      m.conversationId,
      m.messageId,
      m.claimedOrg,
      m.tokenProject,
      m.requestedProject !== undefined,
      m.requestedProject ?? null,
      ...messageContentValues(m),
    ];
    if (outboxRow) params.push(outboxRow.eventId, outboxRow.eventType, outboxRow.payload, outboxRow.headers);
    const rows: OneStatementWritten[] = await manager.query(outboxRow ? this.sql.withOutbox : this.sql.withoutOutbox, params);
    return rows[0];
  }
}
