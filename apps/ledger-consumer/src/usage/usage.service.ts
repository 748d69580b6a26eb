import { Injectable, StreamableFile } from '@nestjs/common';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { csvLine, DomainError, ErrorCode, flattenRow, Principal } from '@chat-ledger/platform';
import { LedgerConfig } from '../config/ledger.config';
import { DailyQueryDto, EntriesQueryDto, SessionsQueryDto, SummaryQueryDto, TimelineQueryDto, UsageFiltersDto } from './dto/usage-queries.dto';
import {
  ConversationUsageResponse,
  DailyUsageResponse,
  UsageEntriesPage,
  UsageEntryResponse,
  UsageSessionsPage,
  UsageSummaryGroup,
  UsageSummaryResponse,
  UsageTimelineResponse,
  UserUsageResponse,
} from './dto/usage-responses.dto';
import { decodeEntriesCursor, encodeEntriesCursor } from './entries-cursor';
import { canReadAll, forbiddenUser, ReadScope, readerOrg, usageScope } from './usage-access';
import { BucketRow, EntryRow, Interval, TotalsRow, UsageReadRepository } from './usage.repository';
import { addSums, SUM_COLUMNS, toSums, UsageSums, withCostRule } from './usage-sums';
import type { UsageFilter } from './usage-source';

const NOMINAL_MS: Record<Interval, number> = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000, month: 28 * 86_400_000 };
const DEFAULT_SPAN_MS: Record<Interval, number> = { hour: 24 * 3_600_000, day: 30 * 86_400_000, week: 84 * 86_400_000, month: 365 * 86_400_000 };

/** Microseconds since the epoch of an RFC 3339 string (Date.parse alone would drop microseconds). */
export function epochMicros(value: string): bigint {
  const fraction = /\.(\d+)/.exec(value)?.[1] ?? '';
  const ms = Date.parse(value.replace(/\.\d+/, ''));
  return BigInt(ms) * 1000n + BigInt((fraction + '000000').slice(0, 6));
}

function offsetText(seconds: number): string {
  const sign = seconds < 0 ? '-' : '+';
  const abs = Math.abs(seconds);
  const hh = String(Math.floor(abs / 3600)).padStart(2, '0');
  const mm = String(Math.floor((abs % 3600) / 60)).padStart(2, '0');
  return `${sign}${hh}:${mm}`;
}

function usageOf(row: TotalsRow | undefined) {
  return {
    prompt_tokens: Number(row?.prompt_tokens ?? 0),
    completion_tokens: Number(row?.completion_tokens ?? 0),
    cached_tokens: Number(row?.cached_tokens ?? 0),
    cache_write_tokens: Number(row?.cache_write_tokens ?? 0),
    reasoning_tokens: Number(row?.reasoning_tokens ?? 0),
    total_tokens: Number(row?.total_tokens ?? 0),
  };
}

/** Cost of a balance row: null when it holds events and none of them is priced (see withCostRule). */
function costOf(row: TotalsRow | undefined): { cost_micros: number | null; unpriced_events: number } {
  const { cost_micros, unpriced_events } = withCostRule({
    ...(Object.fromEntries(SUM_COLUMNS.map((c) => [c, 0])) as unknown as UsageSums),
    events_count: Number(row?.events_count ?? 0),
    cost_micros: Number(row?.cost_micros ?? 0),
    unpriced_events: Number(row?.unpriced_events ?? 0),
  });
  return { cost_micros, unpriced_events };
}

function totalsOf(row: TotalsRow | undefined) {
  return {
    tokens_total: Number(row?.tokens_total ?? 0),
    messages_counted: Number(row?.messages_counted ?? 0),
    adjustments_count: Number(row?.adjustments_count ?? 0),
    adjustments_total: Number(row?.adjustments_total ?? 0),
    events_count: Number(row?.events_count ?? 0),
    usage: usageOf(row),
    ...costOf(row),
    first_activity_at: row?.first_activity_at ?? null,
    last_activity_at: row?.last_activity_at ?? null,
    updated_at: row?.updated_at ?? null,
  };
}

export function conversationNotFound(id: string): DomainError {
  return new DomainError(ErrorCode.ConversationNotFound, `conversation ${id} not found`, [
    { field: 'conversation_id', problem: 'no usage recorded for such a conversation of yours' },
  ]);
}

@Injectable()
export class UsageService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repo: UsageReadRepository,
    private readonly config: LedgerConfig,
  ) {}

  private get manager() {
    return this.dataSource.manager;
  }

  /** Whose usage a request reads (see usage-access.ts); the organisation of a named user comes from its balance. */
  private scope(principal: Principal, q: { user_id?: string; org_id?: string }): Promise<ReadScope> {
    return usageScope(principal, q.user_id, q.org_id, (userId) => this.repo.userOrg(this.manager, userId));
  }

  async user(principal: Principal, userId: string): Promise<UserUsageResponse> {
    const org = readerOrg(principal);
    if (org === undefined || userId === principal.userId) await this.scope(principal, { user_id: userId });
    const row = await this.repo.userTotals(this.manager, userId);
    // An organisation's reader reads the balances the ledger counts in its organisation.
    if (org !== undefined && userId !== principal.userId && (row?.org_id ?? null) !== org) throw forbiddenUser();
    return { user_id: userId, org_id: row?.org_id ?? null, currency: this.config.LEDGER_CURRENCY, ...totalsOf(row) };
  }

  /**
   * Another user's conversation is indistinguishable from an unknown one (404), unless usage:read_all, or
   * usage:read_org and the conversation is of the reader's organisation.
   */
  async conversation(principal: Principal, conversationId: string): Promise<ConversationUsageResponse> {
    const row = await this.repo.conversationTotals(this.manager, conversationId);
    const org = readerOrg(principal);
    const mayRead = row && (row.user_id === principal.userId || canReadAll(principal) || (org !== undefined && row.org_id === org));
    if (!mayRead) throw conversationNotFound(conversationId);
    const [byReason, byModel] = await Promise.all([
      this.repo.conversationBreakdown(this.manager, conversationId, 'reason'),
      this.repo.conversationBreakdown(this.manager, conversationId, 'model'),
    ]);
    // user_id, reason: NOT NULL columns (conversation_totals, usage_hourly).
    return {
      conversation_id: conversationId,
      user_id: row.user_id!,
      org_id: row.org_id ?? null,
      project_id: row.project_id ?? null,
      currency: this.config.LEDGER_CURRENCY,
      ...totalsOf(row),
      by_reason: byReason.map((r) => ({ reason: r.reason!, ...toSums(r) })),
      by_model: byModel.map((r) => ({ model: r.model, ...toSums(r) })),
    };
  }

  async entries(principal: Principal, q: EntriesQueryDto): Promise<UsageEntriesPage> {
    const scope = await this.scope(principal, q);
    this.assertOrdered(q.from, q.to);
    const after = q.cursor ? decodeEntriesCursor(q.cursor) : undefined;
    const rows = await this.repo.entries(
      this.manager,
      { ...filterOf(scope, q), conversationId: q.conversation_id?.toLowerCase(), from: q.from, to: q.to },
      after,
      q.limit + 1,
    );
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      currency: this.config.LEDGER_CURRENCY,
      list: page.map(toRecord),
      next_cursor: rows.length > q.limit && last ? encodeEntriesCursor({ effectiveAt: last.effective_at, eventId: last.event_id }) : null,
      complete_from: await this.repo.journalCompleteFrom(this.manager),
    };
  }

  /**
   * Every entry the query matches (not one page) as CSV, streamed: pages of 1,000 are read one after the
   * other as the client consumes them, so an export of millions of rows holds one page in memory.
   */
  async entriesCsv(principal: Principal, q: EntriesQueryDto): Promise<StreamableFile> {
    const scope = await this.scope(principal, q);
    this.assertOrdered(q.from, q.to);
    const filter = { ...filterOf(scope, q), conversationId: q.conversation_id?.toLowerCase(), from: q.from, to: q.to };
    let after = q.cursor ? decodeEntriesCursor(q.cursor) : undefined;
    const repo = this.repo;
    const manager = this.manager;
    async function* lines(): AsyncGenerator<string> {
      let header: string[] | undefined;
      for (;;) {
        const rows = await repo.entries(manager, filter, after, 1_000);
        for (const row of rows) {
          const flat = flattenRow(toRecord(row));
          if (!header) {
            header = Object.keys(flat);
            yield csvLine(header);
          }
          yield csvLine(header.map((c) => flat[c]));
        }
        if (rows.length < 1_000) break;
        const last = rows[rows.length - 1]!;
        after = { effectiveAt: last.effective_at, eventId: last.event_id };
      }
      if (!header) yield csvLine(Object.keys(flattenRow(toRecord(EMPTY_ENTRY))));
    }
    return new StreamableFile(Readable.from(lines()), { type: 'text/csv; charset=utf-8', disposition: 'attachment; filename="usage-entries.csv"' });
  }

  async summary(principal: Principal, q: SummaryQueryDto): Promise<UsageSummaryResponse> {
    const scope = await this.scope(principal, q);
    this.assertOrdered(q.from, q.to);
    await this.assertTimeZone(q.tz);
    const filter = filterOf(scope, q);
    const echo = {
      group_by: q.group_by,
      from: q.from ?? null,
      to: q.to ?? null,
      user_id: scope.userId,
      org_id: filter.orgId ?? null,
      tz: q.tz,
      currency: this.config.LEDGER_CURRENCY,
    };

    if (q.group_by === 'day') {
      let { from, to } = q;
      if (!from || !to) {
        const span = await this.repo.span(this.manager, filter);
        from ??= span.first ?? undefined;
        to ??= span.end ?? undefined;
      }
      if (!from || !to || epochMicros(from) >= epochMicros(to)) return { ...echo, groups: [], totals: addSums([]) };
      const buckets = await this.buckets(filter, 'day', from, to, q.tz);
      const groups = buckets.filter((b) => b.events_count > 0).map(({ local_start, ...b }) => ({ day: local_start.slice(0, 10), ...b }));
      return { ...echo, groups, totals: addSums(groups) };
    }

    const rows = await this.repo.summary(this.manager, filter, q.group_by, q.from, q.to);
    const field = {
      model: 'model',
      reason: 'reason',
      conversation: 'conversation_id',
      user: 'user_id',
      source: 'source',
      channel: 'channel',
      operation: 'operation',
      task_kind: 'task_kind',
      org: 'org_id',
      project: 'project_id',
      api_key: 'api_key_id',
    }[q.group_by];
    const groups = rows.map((r) => ({ [field]: r.key, ...toSums(r) }) as UsageSummaryGroup);
    return { ...echo, groups, totals: addSums(groups) };
  }

  async timeline(principal: Principal, q: TimelineQueryDto): Promise<UsageTimelineResponse> {
    const scope = await this.scope(principal, q);
    await this.assertTimeZone(q.tz);
    const to = q.to ?? new Date().toISOString();
    const from = q.from ?? new Date(Date.parse(to) - DEFAULT_SPAN_MS[q.interval]).toISOString();
    this.assertOrdered(from, to);
    const filter = filterOf(scope, q);
    const buckets = await this.buckets(filter, q.interval, from, to, q.tz);
    return {
      interval: q.interval,
      tz: q.tz,
      from,
      to,
      user_id: scope.userId,
      org_id: filter.orgId ?? null,
      currency: this.config.LEDGER_CURRENCY,
      buckets,
      totals: addSums(buckets),
    };
  }

  async daily(principal: Principal, q: DailyQueryDto): Promise<DailyUsageResponse> {
    const scope = await this.scope(principal, q);
    await this.assertTimeZone(q.tz);
    const { from, to } = await this.repo.lastDays(this.manager, q.days, q.tz);
    const filter = filterOf(scope, q);
    const buckets = await this.buckets(filter, 'day', from, to, q.tz);
    const days = buckets.map(({ local_start, ...b }) => ({ date: local_start.slice(0, 10), ...b }));
    return {
      days: q.days,
      tz: q.tz,
      from,
      to,
      user_id: scope.userId,
      org_id: filter.orgId ?? null,
      currency: this.config.LEDGER_CURRENCY,
      list: days,
      totals: addSums(days),
    };
  }

  async sessions(principal: Principal, q: SessionsQueryDto): Promise<UsageSessionsPage> {
    const scope = await this.scope(principal, q);
    const { rows, total } = await this.repo.sessions(
      this.manager,
      { userId: scope.userId, orgId: scope.orgId ?? q.org_id, projectId: q.project_id },
      q.limit,
      q.offset,
    );
    return {
      list: rows.map((r) => {
        const t = totalsOf(r);
        return {
          // conversation_totals' key and a NOT NULL column.
          conversation_id: r.conversation_id!,
          user_id: r.user_id!,
          org_id: r.org_id ?? null,
          project_id: r.project_id ?? null,
          tokens_total: t.tokens_total,
          messages_counted: t.messages_counted,
          adjustments_total: t.adjustments_total,
          usage: t.usage,
          cost_micros: t.cost_micros,
          unpriced_events: t.unpriced_events,
          first_activity_at: t.first_activity_at,
          last_activity_at: t.last_activity_at,
        };
      }),
      limit: q.limit,
      offset: q.offset,
      total,
      has_more: q.offset + rows.length < total,
    };
  }

  private async buckets(filter: UsageFilter, interval: Interval, from: string, to: string, tz: string) {
    const cap = this.config.TIMELINE_MAX_BUCKETS;
    const tooMany = () => DomainError.invalidField('from', `the range holds more than ${cap} ${interval} buckets: narrow from/to or use a larger interval`);
    // Cheap guard before asking PostgreSQL to generate a huge series.
    const estimate = Number((epochMicros(to) - epochMicros(from)) / 1000n) / NOMINAL_MS[interval];
    if (estimate > cap + 2) throw tooMany();
    if ((await this.repo.countBuckets(this.manager, interval, from, to, tz, cap)) > cap) throw tooMany();
    const rows: BucketRow[] = await this.repo.timeline(this.manager, filter, interval, from, to, tz);
    return rows.map((r) => ({ start: r.start, end: r.end, local_start: `${r.local_start}${offsetText(r.offset_seconds)}`, ...toSums(r) }));
  }

  private assertOrdered(from: string | undefined, to: string | undefined): void {
    if (from && to && epochMicros(from) >= epochMicros(to)) throw DomainError.invalidField('from', 'must be before to');
  }

  private async assertTimeZone(tz: string): Promise<void> {
    if (!(await this.repo.isKnownTimeZone(this.manager, tz))) {
      throw DomainError.invalidField('tz', 'is not a time zone known to the server (IANA name such as Europe/Berlin)');
    }
  }
}

function toRecord(r: EntryRow): UsageEntryResponse {
  return {
    event_id: r.event_id,
    event_type: r.event_type,
    user_id: r.user_id,
    conversation_id: r.conversation_id,
    message_id: r.message_id,
    role: r.role,
    model: r.model,
    reason: r.reason,
    tokens_delta: Number(r.tokens_delta),
    usage: {
      prompt_tokens: Number(r.prompt_tokens),
      completion_tokens: Number(r.completion_tokens),
      cached_tokens: Number(r.cached_tokens),
      cache_write_tokens: Number(r.cache_write_tokens),
      reasoning_tokens: Number(r.reasoning_tokens),
      total_tokens: Number(r.total_tokens),
    },
    // null: unpriced; a cost correction carries the difference it makes to the event it corrects.
    cost_micros: r.cost_micros === null ? null : Number(r.cost_micros),
    priced_with: r.price_effective_from,
    corrects_event_id: r.corrects_event_id,
    channel: r.channel,
    operation: r.operation,
    task_id: r.task_id,
    task_kind: r.task_kind,
    org_id: r.org_id,
    project_id: r.project_id,
    api_key_id: r.api_key_id,
    occurred_at: r.occurred_at,
    effective_at: r.effective_at,
    applied_at: r.applied_at,
    source: r.source,
  };
}

function filterOf(scope: ReadScope, q: UsageFiltersDto): UsageFilter {
  return {
    userId: scope.userId,
    // An organisation's reader reads its own organisation; an org_id filter naming another was refused before.
    orgId: scope.orgId ?? q.org_id,
    projectId: q.project_id,
    apiKeyId: q.api_key_id,
    model: q.model,
    reason: q.reason,
    source: q.source,
    channel: q.channel,
    operation: q.operation,
    taskId: q.task_id,
    taskKind: q.task_kind,
  };
}

/** The columns of an export without rows (a header line is still useful to a spreadsheet). */
const EMPTY_ENTRY: EntryRow = {
  event_id: '',
  event_type: '',
  event_version: 0,
  source: '',
  user_id: '',
  conversation_id: null,
  message_id: null,
  role: null,
  model: null,
  reason: '',
  tokens_delta: '0',
  prompt_tokens: '0',
  completion_tokens: '0',
  cached_tokens: '0',
  cache_write_tokens: '0',
  reasoning_tokens: '0',
  total_tokens: '0',
  cost_micros: null,
  unpriced: 0,
  price_effective_from: null,
  corrects_event_id: null,
  channel: null,
  operation: null,
  task_id: null,
  task_kind: null,
  org_id: null,
  project_id: null,
  api_key_id: null,
  occurred_at: '',
  effective_at: '',
  applied_at: '',
};
