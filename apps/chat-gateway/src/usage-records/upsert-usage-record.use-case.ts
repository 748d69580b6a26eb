import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { buildEnvelope, TokenUsageV2, usageDifference, UsageUpsertedV2, usageUpsertedV2, TASKS_USAGE_SOURCE, uuidv7, ZERO_USAGE } from '@chat-ledger/contracts';
import { OutboxWriter } from '@chat-ledger/outbox';
import { DomainError, ErrorCode, ErrorDetail, Principal } from '@chat-ledger/platform';
import { GatewayConfig } from '../config/gateway.config';
import { ConversationsRepository } from '../conversations/conversations.repository';
import { normalizeUsage } from '../messages/record-message.use-case';
import { UpsertUsageRecordDto } from './dto/upsert-usage-record.dto';
import { UpsertResult, UsageRecordUpsertResponse } from './dto/usage-record.response';
import { toUtcMicros } from './occurred-at';
import { UsageRecordIdentity, UsageRecordRow, UsageRecordsRepository, UsageRevisionRow } from './usage-records.repository';
import { BudgetEnforcementService } from '../budgets/budget-enforcement.service';
import { TasksRepository } from '../tasks/tasks.repository';
import { TenantsService } from '../tenants/tenants.service';

export interface UpsertUsageRecordCommand {
  /** The reporting service: the record's user must be of its organisation. */
  principal: Principal;
  source: string;
  externalId: string;
  record: UpsertUsageRecordDto;
  traceparent?: string;
}

export interface UpsertUsageRecordResult {
  status: 200 | 201;
  body: UsageRecordUpsertResponse;
}

const IDENTITY = ['user_id', 'conversation_id', 'model', 'channel', 'operation'] as const;
/** Fixed by the first revision too, but compared only where a later revision names them: left out, they stay. */
const TENANT = ['project_id', 'api_key_id'] as const;
const KINDS = ['prompt_tokens', 'completion_tokens', 'cached_tokens', 'cache_write_tokens', 'reasoning_tokens', 'total_tokens'] as const;

/**
 * Accepts one revision of a usage record another system metered, idempotently. Under the record's row lock,
 * in the transaction that writes the outbox row:
 * - the first revision creates the record and its ledger.usage.upserted event counts it in full (201);
 * - a higher revision becomes the latest; its event carries its full usage and the delta to the revision
 *   counted before it (200, revised);
 * - a revision accepted before, with the same numbers, changes nothing (200, unchanged); with other numbers
 *   it is a 409: an accepted revision never changes, corrections come as a higher revision;
 * - a lower revision than the latest, never accepted, arrived late and changes nothing (200, stale).
 * The record's user, conversation, model, channel and operation are fixed by its first revision (a later one
 * naming others is a 409), so every event of a record counts in the same rows of the ledger. So is its tenant:
 * the organisation of its user (who must be of the reporting service's: 403 TENANT_MISMATCH otherwise), the
 * project and the API key, which a later revision may leave out.
 */
@Injectable()
export class UpsertUsageRecordUseCase {
  constructor(
    private readonly dataSource: DataSource,
    private readonly records: UsageRecordsRepository,
    private readonly conversations: ConversationsRepository,
    private readonly outbox: OutboxWriter,
    private readonly config: GatewayConfig,
    private readonly budgets: BudgetEnforcementService,
    private readonly tasks: TasksRepository,
    private readonly tenants: TenantsService,
  ) {}

  /**
   * Usage of a task (source `tasks`, the external id is the task id): the task must exist and be the user's;
   * the record's operation is the task's kind and its conversation defaults to the task's, so the ledger
   * attributes it to the task like the usage reported at completion.
   */
  private async attributeToTask(manager: EntityManager, taskId: string, identity: UsageRecordIdentity, namedProject: string | undefined): Promise<void> {
    const task = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(taskId)
      ? await this.tasks.find(manager, { id: taskId.toLowerCase() }, 0)
      : undefined;
    if (!task) throw DomainError.invalidField('external_id', `is no task: usage records of source ${TASKS_USAGE_SOURCE} are named by a task id`);
    if (task.user_id !== identity.user_id) throw DomainError.invalidField('user_id', `task ${task.task_id} is not this user's`);
    if (identity.operation !== null && identity.operation !== task.kind)
      throw DomainError.invalidField('operation', `must be the task's kind (${task.kind}) or absent`);
    identity.operation = task.kind;
    identity.conversation_id ??= task.conversation_id;
    // The task's usage counts where the task does.
    if (namedProject !== undefined && namedProject !== task.project_id)
      throw DomainError.invalidField('project_id', `must be the task's project (${task.project_id ?? 'none'}) or absent`);
    identity.org_id = task.org_id;
    identity.project_id = task.project_id;
    identity.api_key_id ??= task.api_key_id;
  }

  async execute(cmd: UpsertUsageRecordCommand): Promise<UpsertUsageRecordResult> {
    const { source, externalId, record } = cmd;
    const occurred = toUtcMicros(record.occurred_at);
    if (!occurred.ok) throw DomainError.invalidField('occurred_at', occurred.problem);
    const usage = normalizeUsage(record.usage);
    const sent = { revision: record.revision, occurred_at: occurred.value, usage };

    return this.dataSource.transaction(async (manager) => {
      // The user's lock first, as every write of the user takes it (a first binding to an organisation is made under it).
      const lock = await this.budgets.lockUser(manager, record.user_id);
      const tenant = await this.tenants.forServiceWrite(manager, cmd.principal, record.user_id, record, { boundOrg: lock.boundOrg });
      const identity: UsageRecordIdentity = {
        user_id: record.user_id,
        conversation_id: record.conversation_id?.toLowerCase() ?? null,
        model: record.model ?? null,
        channel: record.channel ?? null,
        operation: record.operation ?? null,
        ...tenant,
      };
      const named = { project_id: record.project_id !== undefined, api_key_id: record.api_key_id !== undefined };
      // Every revision of a task's record names the task the same way, so later ones compare equal to the first.
      if (source === TASKS_USAGE_SOURCE) await this.attributeToTask(manager, externalId, identity, record.project_id);
      let current = await this.records.lock(manager, source, externalId);
      if (!current) {
        if (identity.conversation_id && !(await this.conversations.findVisible(manager, identity.user_id, identity.conversation_id))) {
          throw DomainError.invalidField('conversation_id', 'no such conversation for this user');
        }
        const created = await this.records.create(manager, source, externalId, identity, sent.revision);
        if (created) {
          const accepted = await this.accept(manager, created, sent, undefined, lock.budgeted, cmd.traceparent);
          return { status: 201, body: respond(created, accepted, 'created', accepted.event_id) };
        }
        // Created by a concurrent request meanwhile: decide against it like any later request.
        current = (await this.records.lock(manager, source, externalId))!;
      }

      const same = await this.records.revision(manager, source, externalId, sent.revision);
      if (same) {
        const differences = [...identityDifferences(current, identity, named), ...revisionDifferences(same, sent)];
        if (differences.length > 0) {
          throw new DomainError(
            ErrorCode.UsageRecordConflict,
            `revision ${sent.revision} of usage record ${source}/${externalId} was accepted with other values`,
            differences,
          );
        }
        return { status: 200, body: respond(current, await this.latest(manager, current), 'unchanged', same.event_id) };
      }
      const differences = identityDifferences(current, identity, named);
      if (differences.length > 0) {
        throw new DomainError(ErrorCode.UsageRecordConflict, `usage record ${source}/${externalId} is about other values`, differences);
      }
      const latest = await this.latest(manager, current);
      if (sent.revision < current.revision) return { status: 200, body: respond(current, latest, 'stale', null) };

      const accepted = await this.accept(manager, current, sent, latest, lock.budgeted, cmd.traceparent);
      const advanced = await this.records.advance(manager, source, externalId, sent.revision);
      return { status: 200, body: respond(advanced, accepted, 'revised', accepted.event_id) };
    });
  }

  private async latest(manager: EntityManager, record: UsageRecordRow): Promise<UsageRevisionRow> {
    return (await this.records.revision(manager, record.source, record.external_id, record.revision))!;
  }

  /** Stores the revision and writes its event: full usage, and the delta to the revision counted before. */
  private async accept(
    manager: EntityManager,
    record: UsageRecordRow,
    sent: { revision: number; occurred_at: string; usage: TokenUsageV2 },
    previous: UsageRevisionRow | undefined,
    budgeted: boolean,
    traceparent: string | undefined,
  ): Promise<UsageRevisionRow> {
    const eventId = uuidv7();
    const stored = await this.records.addRevision(manager, record.source, record.external_id, {
      revision: sent.revision,
      previous_revision: previous?.revision ?? null,
      occurred_at: sent.occurred_at,
      usage: sent.usage,
      event_id: eventId,
    });
    const data: UsageUpsertedV2 = {
      user_id: record.user_id,
      conversation_id: record.conversation_id,
      source: record.source,
      external_id: record.external_id,
      revision: sent.revision,
      previous_revision: previous?.revision ?? null,
      model: record.model,
      channel: record.channel,
      operation: record.operation,
      usage: sent.usage,
      delta: usageDifference(sent.usage, previous?.usage ?? ZERO_USAGE),
      // The record's own tenant, whatever the revision named: every event of a record counts in the same place.
      org_id: record.org_id,
      project_id: record.project_id,
      api_key_id: record.api_key_id,
    };
    await this.outbox.append(manager, {
      // occurred_at is when the usage happened (as for a message): the ledger prices and buckets it there.
      envelope: buildEnvelope(usageUpsertedV2, { id: eventId, source: this.config.EVENT_SOURCE, occurredAt: sent.occurred_at, data }),
      partitionKey: record.user_id,
      traceparent,
    });
    // Reported usage is never refused, but it counts towards the user's budget and may cross a threshold.
    if (data.delta.total_tokens !== 0 && budgeted) await this.budgets.announceThresholds(manager, record.user_id);
    return stored;
  }
}

function identityDifferences(record: UsageRecordRow, sent: UsageRecordIdentity, named: Record<(typeof TENANT)[number], boolean>): ErrorDetail[] {
  const fields = [...IDENTITY, ...TENANT.filter((field) => named[field])];
  return fields
    .filter((field) => record[field] !== sent[field])
    .map((field) => ({
      field,
      problem: `is ${record[field] === null ? 'not set' : `"${record[field]}"`} for this record: a record's user_id, conversation_id, model, channel, operation, project_id and api_key_id are fixed by its first revision`,
    }));
}

function revisionDifferences(accepted: UsageRevisionRow, sent: { revision: number; occurred_at: string; usage: TokenUsageV2 }): ErrorDetail[] {
  const immutable = `revision ${accepted.revision} was accepted with`;
  const fix = 'an accepted revision never changes: send corrected numbers as a higher revision';
  const details: ErrorDetail[] = KINDS.filter((k) => accepted.usage[k] !== sent.usage[k]).map((k) => ({
    field: `usage.${k}`,
    problem: `${immutable} ${accepted.usage[k]}; ${fix}`,
  }));
  if (accepted.occurred_at !== sent.occurred_at) details.push({ field: 'occurred_at', problem: `${immutable} ${accepted.occurred_at}; ${fix}` });
  return details;
}

function respond(record: UsageRecordRow, latest: UsageRevisionRow, result: UpsertResult, eventId: string | null): UsageRecordUpsertResponse {
  return {
    ...recordState(record, latest),
    result,
    changed: result === 'created' || result === 'revised',
    event_id: eventId,
  };
}

export function recordState(record: UsageRecordRow, latest: UsageRevisionRow) {
  return {
    source: record.source,
    external_id: record.external_id,
    user_id: record.user_id,
    conversation_id: record.conversation_id,
    model: record.model,
    channel: record.channel,
    operation: record.operation,
    org_id: record.org_id,
    project_id: record.project_id,
    api_key_id: record.api_key_id,
    revision: record.revision,
    occurred_at: latest.occurred_at,
    usage: latest.usage,
    created_at: record.created_at,
    updated_at: record.updated_at,
  };
}
