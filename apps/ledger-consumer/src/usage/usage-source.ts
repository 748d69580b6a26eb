import { CHAT_MESSAGE_RECORDED, TOKENS_ADJUSTED } from '@chat-ledger/contracts';
import { COST_CORRECTED } from '../ledger/ledger-aggregates';

/**
 * Usage within a time range [s, e) read from the cheapest exact source: the hourly rollup for the whole
 * UTC hours inside the range, and the journal for the partial hours at its edges. Exact for any range
 * and any time zone (also zones whose day starts at :30 or :45 UTC), and the journal is only touched
 * for at most two partial hours per range.
 *
 * `range` names a relation with columns s, e, hs, he (see rangeColumns); `filter` is a list of
 * conditions on the columns of both sources (user_id, conversation_id, the dimensions, the tenant), valid for both sources (alias-free).
 */
export function usageIn(range: string, filter: string[]): string {
  const where = (alias: string) => filter.map((f) => f.replace(/\{t\}/g, alias));
  const hourly = [...where('h'), `h.bucket >= ${range}.hs`, `h.bucket < ${range}.he`].join(' AND ');
  const edges = [
    ...where('j'),
    `((j.effective_at >= ${range}.s AND j.effective_at < ${range}.hs) OR (j.effective_at >= ${range}.he AND j.effective_at < ${range}.e))`,
  ].join(' AND ');
  return `(
    SELECT h.user_id, h.conversation_id, h.model, h.reason, h.source, h.channel, h.operation, h.task_id, h.task_kind,
           h.org_id, h.project_id, h.api_key_id, h.bucket AS at,
           h.events_count, h.messages_counted, h.adjustments_count, h.tokens_delta,
           h.prompt_tokens, h.completion_tokens, h.cached_tokens, h.cache_write_tokens, h.reasoning_tokens, h.total_tokens,
           h.cost_micros, h.unpriced_events
      FROM ledger.usage_hourly h
     WHERE ${hourly}
    UNION ALL
    SELECT j.user_id, j.conversation_id, j.model, j.reason, j.source, j.channel, j.operation, j.task_id, j.task_kind,
           j.org_id, j.project_id, j.api_key_id, j.effective_at AS at,
           (j.event_type <> '${COST_CORRECTED}')::int, (j.event_type = '${CHAT_MESSAGE_RECORDED}')::int, (j.event_type = '${TOKENS_ADJUSTED}')::int,
           j.tokens_delta, j.prompt_tokens, j.completion_tokens, j.cached_tokens, j.cache_write_tokens, j.reasoning_tokens, j.total_tokens,
           coalesce(j.cost_micros, 0), j.unpriced
      FROM ledger.entries j
     WHERE ${edges}
  )`;
}

/**
 * Adds hs (s rounded up to a UTC hour, at most e) and he (e rounded down to a UTC hour, at least hs)
 * to a relation with timestamptz columns s and e. Infinite bounds stay infinite.
 */
export function rangeColumns(relation: string): string {
  return `(
    SELECT r1.*, greatest(date_trunc('hour', r1.e, 'UTC'), r1.hs) AS he
      FROM (SELECT r0.*,
                   least(date_trunc('hour', r0.s, 'UTC')
                         + CASE WHEN date_trunc('hour', r0.s, 'UTC') < r0.s THEN interval '1 hour' ELSE interval '0' END,
                         r0.e) AS hs
              FROM ${relation} r0) r1
  )`;
}

/** Which usage a query reads: a user (null: everybody) and optional dimensions, all AND-ed. */
export interface UsageFilter {
  userId: string | null;
  /** The tenant: an organisation (a usage:read_org reader's own, or a filter), a project, an API key. */
  orgId?: string;
  projectId?: string;
  apiKeyId?: string;
  conversationId?: string;
  model?: string;
  reason?: string;
  source?: string;
  channel?: string;
  operation?: string;
  taskId?: string;
  taskKind?: string;
}

const FILTER_COLUMNS = {
  conversationId: 'conversation_id',
  model: 'model',
  reason: 'reason',
  source: 'source',
  channel: 'channel',
  operation: 'operation',
  taskId: 'task_id',
  taskKind: 'task_kind',
  orgId: 'org_id',
  projectId: 'project_id',
  apiKeyId: 'api_key_id',
} as const;

/**
 * Conditions for usageIn: `{t}` is replaced by the source's alias (the rollup and the journal have the same
 * columns). `param` appends a positional parameter and returns its placeholder.
 */
export function filterConditions(filter: UsageFilter, param: (value: unknown) => string): string[] {
  const out: string[] = [];
  if (filter.userId !== null) out.push(`{t}.user_id = ${param(filter.userId)}`);
  for (const [key, column] of Object.entries(FILTER_COLUMNS) as Array<[keyof typeof FILTER_COLUMNS, string]>) {
    const value = filter[key];
    if (value !== undefined) out.push(`{t}.${column} = ${param(value)}${key === 'conversationId' || key === 'taskId' ? '::uuid' : ''}`);
  }
  return out;
}
