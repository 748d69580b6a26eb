import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Gauge, Registry } from 'prom-client';
import { DataSource, EntityManager } from 'typeorm';
import { buildEnvelope, taskCompletedV2, toRfc3339Micros, TokenUsageV2, uuidv7 } from '@chat-ledger/contracts';
import { OutboxWriter } from '@chat-ledger/outbox';
import { CursorFields, decodeKeysetCursor, DomainError, encodeKeysetCursor, ErrorCode, invalidCursor, Principal, Scopes } from '@chat-ledger/platform';
import { BudgetEnforcementService } from '../budgets/budget-enforcement.service';
import { GatewayConfig } from '../config/gateway.config';
import { ConversationsRepository } from '../conversations/conversations.repository';
import { normalizeUsage } from '../messages/record-message.use-case';
import { TenantsService } from '../tenants/tenants.service';
import { CompleteTaskDto } from './dto/complete-task.dto';
import { CreateTaskDto } from './dto/create-task.dto';
import { ListRunningTasksQueryDto, RUNNING_SORTS } from './dto/list-running-tasks.query.dto';
import { UpdateTaskDto } from './dto/update-task.dto';
import { TaskRow, TasksRepository } from './tasks.repository';

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);
const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/** What the API shows of a task (internal bookkeeping left out). */
export function toTaskResponse(t: TaskRow) {
  const { request_digest: _r, completion_digest: _c, completion_event_id: _e, created_by: _b, ...shown } = t;
  return shown;
}
export type TaskResponse = ReturnType<typeof toTaskResponse>;

const taskNotFound = (id: string) => new DomainError(ErrorCode.TaskNotFound, `task ${id} not found`);
/** A token naming an organisation reaches that organisation's tasks only. */
const inOrgOf = (principal: Principal, task: TaskRow) => principal.orgId === undefined || principal.orgId === task.org_id;

/**
 * Tasks of internal services. Writes lock the task's row, so a worker's racing retries are serialised: a
 * task moves only forward and is completed exactly once, and its completion (with the usage it reports)
 * reaches the ledger as one task.completed event written in the completing transaction.
 */
@Injectable()
export class TasksService implements OnModuleInit {
  private readonly logger = new Logger('Tasks');

  constructor(
    private readonly dataSource: DataSource,
    private readonly tasks: TasksRepository,
    private readonly conversations: ConversationsRepository,
    private readonly outbox: OutboxWriter,
    private readonly budgets: BudgetEnforcementService,
    private readonly config: GatewayConfig,
    private readonly registry: Registry,
    private readonly tenants: TenantsService,
  ) {}

  onModuleInit(): void {
    const { dataSource, tasks, config } = this;
    new Gauge({
      name: 'chat_tasks_stalled',
      help: 'Open tasks without a heartbeat for TASK_STALL_AFTER.',
      registers: [this.registry],
      async collect() {
        this.set(await tasks.stalledCount(dataSource.manager, config.TASK_STALL_AFTER));
      },
    });
  }

  /** Idempotent on (source, external_id): the same body again returns the task (created: false); another body is a 409. */
  async create(principal: Principal, dto: CreateTaskDto): Promise<{ task: TaskResponse; created: boolean }> {
    const metadata = dto.metadata ?? null;
    if (metadata !== null && Buffer.byteLength(JSON.stringify(metadata), 'utf8') > this.config.TASK_METADATA_MAX_BYTES) {
      throw DomainError.invalidField('metadata', `must be at most ${this.config.TASK_METADATA_MAX_BYTES} bytes of JSON`);
    }
    const request: unknown[] = [
      dto.source,
      dto.external_id,
      dto.kind,
      dto.user_id,
      dto.conversation_id ?? null,
      dto.client_id ?? null,
      dto.total_items ?? null,
      metadata,
    ];
    // Only when named, so a task created before tenants existed is the same request again when retried.
    if (dto.org_id !== undefined || dto.project_id !== undefined || dto.api_key_id !== undefined) {
      request.push(dto.org_id ?? null, dto.project_id ?? null, dto.api_key_id ?? null);
    }
    return this.dataSource.transaction(async (manager) => {
      const conversation = dto.conversation_id ? await this.conversations.findVisible(manager, dto.user_id, dto.conversation_id) : undefined;
      if (dto.conversation_id && !conversation) {
        throw DomainError.invalidField('conversation_id', 'no such conversation for this user');
      }
      const tenant = await this.tenants.forServiceWrite(manager, principal, dto.user_id, dto, { project_id: conversation?.project_id ?? null });
      const id = uuidv7();
      const inserted = await this.tasks.insert(manager, {
        id,
        source: dto.source,
        externalId: dto.external_id,
        kind: dto.kind,
        userId: dto.user_id,
        conversationId: dto.conversation_id ?? null,
        clientId: dto.client_id ?? null,
        totalItems: dto.total_items ?? null,
        metadata,
        createdBy: principal.userId,
        digest: digest(request),
        tenant,
      });
      const task = (await this.tasks.find(manager, { source: dto.source, externalId: dto.external_id }, this.config.TASK_STALL_AFTER))!;
      if (!inserted && task.request_digest !== digest(request)) {
        throw new DomainError(ErrorCode.TaskConflict, `task ${dto.source}/${dto.external_id} exists with another body`, [
          { field: 'external_id', problem: `is task ${task.task_id} already, created with other values` },
        ]);
      }
      return { task: toTaskResponse(task), created: inserted };
    });
  }

  async get(principal: Principal, id: string): Promise<TaskResponse> {
    const task = await this.tasks.find(this.dataSource.manager, { id }, this.config.TASK_STALL_AFTER);
    // Another user's task, or another organisation's, answers as if it did not exist.
    if (!task || !this.mayRead(principal, task)) throw taskNotFound(id);
    return toTaskResponse(task);
  }

  /** Progress and a heartbeat; a task only moves forward and its progress never decreases. */
  async update(principal: Principal, id: string, dto: UpdateTaskDto): Promise<TaskResponse> {
    // A worker heartbeats often: one statement when every rule holds, the locked path below (which says which
    // rule failed) only when it does not.
    const updated = await this.tasks.heartbeatIfAllowed(
      this.dataSource.manager,
      id,
      {
        createdBy: principal.userId,
        start: dto.status === 'running' || dto.progress !== undefined || dto.processed_items !== undefined,
        progress: dto.progress,
        processedItems: dto.processed_items,
        message: dto.message,
      },
      this.config.TASK_STALL_AFTER,
    );
    if (updated) return toTaskResponse(updated);
    return this.dataSource.transaction(async (manager) => {
      const task = await this.lockedForWriter(manager, principal, id);
      if (FINAL.has(task.status))
        throw new DomainError(ErrorCode.TaskConflict, `task ${id} is ${task.status}; it can no longer change`, [
          { field: 'status', problem: `is ${task.status} already` },
        ]);
      if (dto.progress !== undefined && dto.progress < task.progress) throw DomainError.invalidField('progress', `must not decrease (it is ${task.progress})`);
      if (dto.processed_items !== undefined && dto.processed_items < task.processed_items) {
        throw DomainError.invalidField('processed_items', `must not decrease (it is ${task.processed_items})`);
      }
      if (dto.processed_items !== undefined && task.total_items !== null && dto.processed_items > task.total_items) {
        throw DomainError.invalidField('processed_items', `must not exceed total_items (${task.total_items})`);
      }
      // Reporting progress means the task runs, whether or not the worker said so.
      const start = task.status === 'pending' && (dto.status === 'running' || dto.progress !== undefined || dto.processed_items !== undefined);
      await this.tasks.heartbeat(manager, id, { start, progress: dto.progress, processedItems: dto.processed_items, message: dto.message });
      return toTaskResponse((await this.tasks.find(manager, { id }, this.config.TASK_STALL_AFTER))!);
    });
  }

  /**
   * Completes the task exactly once. The same completion again (a worker's retry) returns the first result
   * and counts nothing (replayed: true); another completion of a completed task is a 409 and changes nothing.
   * An operator (scope tasks:admin) may fail or cancel another source's task, e.g. a stalled one; audited.
   */
  async complete(principal: Principal, id: string, dto: CompleteTaskDto): Promise<{ task: TaskResponse; replayed: boolean }> {
    const usage: TokenUsageV2 | null = dto.usage ? normalizeUsage(dto.usage) : null;
    const completion = digest([dto.outcome, dto.error ?? null, usage, dto.model ?? null]);
    return this.dataSource.transaction(async (manager) => {
      const task = await this.lockedForWriter(manager, principal, id, { operatorMay: dto.outcome !== 'succeeded' && !usage });
      if (FINAL.has(task.status)) {
        if (task.completion_digest === completion)
          return { task: toTaskResponse((await this.tasks.find(manager, { id }, this.config.TASK_STALL_AFTER))!), replayed: true };
        throw new DomainError(ErrorCode.TaskConflict, `task ${id} was completed before (${task.status}) with another result`, [
          { field: 'outcome', problem: `task is ${task.status} already; a completion cannot change` },
        ]);
      }
      const eventId = uuidv7();
      await this.tasks.complete(manager, id, {
        outcome: dto.outcome,
        error: dto.error ?? null,
        model: dto.model ?? null,
        usage,
        digest: completion,
        eventId,
        actor: principal.userId,
      });
      const done = (await this.tasks.find(manager, { id }, this.config.TASK_STALL_AFTER, true))!;
      const spent = usage ?? { prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, total_tokens: 0 };
      await this.outbox.append(manager, {
        envelope: buildEnvelope(taskCompletedV2, {
          id: eventId,
          source: this.config.EVENT_SOURCE,
          occurredAt: done.completed_at!,
          data: {
            task_id: done.task_id,
            source: done.source,
            external_id: done.external_id,
            kind: done.kind,
            user_id: done.user_id,
            conversation_id: done.conversation_id,
            client_id: done.client_id,
            outcome: dto.outcome,
            error: dto.error ?? null,
            model: dto.model ?? null,
            usage: spent,
            tokens_delta: spent.total_tokens,
            started_at: done.started_at,
            completed_at: done.completed_at ?? toRfc3339Micros(new Date()),
            org_id: done.org_id,
            project_id: done.project_id,
            api_key_id: done.api_key_id,
          },
        }),
        partitionKey: done.user_id,
      });
      if (spent.total_tokens !== 0 && (await this.budgets.lockUser(manager, done.user_id))) await this.budgets.announceThresholds(manager, done.user_id);
      if (principal.userId !== task.created_by) {
        this.logger.warn({ msg: 'task completed by an operator', task_id: id, actor: principal.userId, outcome: dto.outcome, source: task.source });
      }
      return { task: toTaskResponse((await this.tasks.find(manager, { id }, this.config.TASK_STALL_AFTER))!), replayed: false };
    });
  }

  async running(principal: Principal, q: ListRunningTasksQueryDto) {
    if (!principal.scopes.has(Scopes.tasksRead) && !principal.scopes.has(Scopes.tasksAdmin)) {
      throw new DomainError(ErrorCode.Forbidden, `listing tasks needs scope ${Scopes.tasksRead}`);
    }
    let after: { value: string | number; id: string } | undefined;
    if (q.cursor) {
      const valueField =
        q.sort === 'progress' ? (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 100 : CursorFields.timestampMicros;
      const [sort, value, taskId] = decodeKeysetCursor(q.cursor, [CursorFields.oneOf(...RUNNING_SORTS), valueField, CursorFields.uuid]) as [
        string,
        string | number,
        string,
      ];
      if (sort !== q.sort) throw invalidCursor(`was issued for sort=${sort}, not sort=${q.sort}`);
      after = { value, id: taskId };
    }
    const result = await this.tasks.running(
      this.dataSource.manager,
      { statuses: [...new Set(q.status)], kind: q.kind, userId: q.user_id, clientId: q.client_id, stalled: q.stalled, orgId: principal.orgId },
      q.sort,
      after,
      q.limit,
      this.config.TASK_STALL_AFTER,
    );
    const more = result.rows.length > q.limit;
    const rows = (result.rows as Array<TaskRow & { sort_value: string | number }>).slice(0, q.limit);
    const last = rows.at(-1);
    return {
      total_tasks: result.total,
      by_status: result.byStatus,
      by_kind: result.byKind,
      tasks: rows.map(({ sort_value: _s, metadata: _m, ...t }) => toTaskResponse(t as TaskRow)),
      next_cursor: more && last ? encodeKeysetCursor([q.sort, last.sort_value, last.task_id]) : null,
    };
  }

  private mayRead(principal: Principal, task: TaskRow): boolean {
    if (principal.userId === task.user_id || principal.userId === task.created_by) return true;
    return (principal.scopes.has(Scopes.tasksRead) || principal.scopes.has(Scopes.tasksAdmin)) && inOrgOf(principal, task);
  }

  /** The task's row, locked; only its creator writes it (an operator may end it when `operatorMay`). */
  private async lockedForWriter(manager: EntityManager, principal: Principal, id: string, opts: { operatorMay?: boolean } = {}): Promise<TaskRow> {
    const task = await this.tasks.find(manager, { id }, this.config.TASK_STALL_AFTER, true);
    if (!task) throw taskNotFound(id);
    if (task.created_by === principal.userId) return task;
    // An operator of an organisation ends that organisation's tasks only; another's does not exist for it.
    if (!inOrgOf(principal, task)) throw taskNotFound(id);
    if (opts.operatorMay && principal.scopes.has(Scopes.tasksAdmin)) return task;
    throw new DomainError(
      ErrorCode.Forbidden,
      `task ${id} belongs to source ${task.source} (created by ${task.created_by})${opts.operatorMay === false ? '' : '; operators with tasks:admin may fail or cancel it'}`,
    );
  }
}
