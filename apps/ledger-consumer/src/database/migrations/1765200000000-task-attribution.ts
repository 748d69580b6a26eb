import { MigrationInterface, QueryRunner } from 'typeorm';

const EVENT_TYPES_BEFORE = ['chat.message.recorded', 'ledger.tokens.adjusted', 'ledger.cost.corrected'];
const EVENT_TYPES = [...EVENT_TYPES_BEFORE, 'task.completed'];
const list = (types: string[]) => types.map((t) => `'${t}'`).join(', ');

/**
 * Usage attributed to tasks (title generation, summarisation, agent runs, indexing): the journal names the
 * task and its kind, the hourly rollup is keyed by them too (group_by=task_kind, the task_id filter), and the
 * gateway reads each task's usage and cost so far through a view this schema owns. Rows before this
 * migration belong to no task, so the rollup keeps its rows and only gains two null key columns.
 */
export class TaskAttribution1765200000000 implements MigrationInterface {
  name = 'TaskAttribution1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger.entries ADD COLUMN task_id uuid, ADD COLUMN task_kind varchar(64)`);
    await q.query(`ALTER TABLE ledger.entries DROP CONSTRAINT entries_event_type_check`);
    await q.query(`ALTER TABLE ledger.entries ADD CONSTRAINT entries_event_type_check CHECK (event_type IN (${list(EVENT_TYPES)}))`);
    await q.query(`CREATE INDEX entries_task_idx ON ledger.entries (task_id) WHERE task_id IS NOT NULL`);
    await q.query(`ALTER TABLE ledger.usage_hourly DROP CONSTRAINT usage_hourly_key`);
    await q.query(`ALTER TABLE ledger.usage_hourly ADD COLUMN task_id uuid, ADD COLUMN task_kind varchar(64)`);
    await q.query(`
      ALTER TABLE ledger.usage_hourly ADD CONSTRAINT usage_hourly_key
        UNIQUE NULLS NOT DISTINCT (user_id, bucket, conversation_id, model, reason, source, channel, operation, task_id, task_kind)`);
    await q.query(`
      CREATE VIEW ledger.task_usage_view AS
        SELECT task_id, coalesce(sum(tokens_delta), 0)::bigint AS tokens_total, coalesce(sum(cost_micros), 0)::bigint AS cost_micros,
               coalesce(sum(unpriced), 0)::bigint AS unpriced_events,
               count(*) FILTER (WHERE event_type <> 'ledger.cost.corrected')::bigint AS events_count
          FROM ledger.entries WHERE task_id IS NOT NULL GROUP BY task_id`);
    await q.query(`COMMENT ON VIEW ledger.task_usage_view IS 'Read by chat-gateway (tasks: usage and cost so far); owned by ledger-consumer.'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP VIEW ledger.task_usage_view`);
    // Task rows fold back into rows without a task.
    await q.query(`ALTER TABLE ledger.usage_hourly DROP CONSTRAINT usage_hourly_key`);
    await q.query(`TRUNCATE ledger.usage_hourly`);
    await q.query(`ALTER TABLE ledger.usage_hourly DROP COLUMN task_id, DROP COLUMN task_kind`);
    await q.query(`
      ALTER TABLE ledger.usage_hourly ADD CONSTRAINT usage_hourly_key
        UNIQUE NULLS NOT DISTINCT (user_id, bucket, conversation_id, model, reason, source, channel, operation)`);
    await q.query(`DELETE FROM ledger.entries WHERE event_type = 'task.completed'`);
    await q.query(`
      INSERT INTO ledger.usage_hourly (user_id, bucket, conversation_id, model, reason, source, channel, operation, events_count, messages_counted,
                                       adjustments_count, tokens_delta, prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens,
                                       reasoning_tokens, total_tokens, cost_micros, unpriced_events)
      SELECT user_id, date_trunc('hour', effective_at, 'UTC'), conversation_id, model, reason, source, channel, operation,
             count(*) FILTER (WHERE event_type <> 'ledger.cost.corrected'),
             count(*) FILTER (WHERE event_type = 'chat.message.recorded'), count(*) FILTER (WHERE event_type = 'ledger.tokens.adjusted'),
             sum(tokens_delta), sum(prompt_tokens), sum(completion_tokens), sum(cached_tokens), sum(cache_write_tokens), sum(reasoning_tokens),
             sum(total_tokens), coalesce(sum(cost_micros), 0), sum(unpriced)
        FROM ledger.entries GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`);
    await q.query(`DROP INDEX ledger.entries_task_idx`);
    await q.query(`ALTER TABLE ledger.entries DROP CONSTRAINT entries_event_type_check`);
    await q.query(`ALTER TABLE ledger.entries ADD CONSTRAINT entries_event_type_check CHECK (event_type IN (${list(EVENT_TYPES_BEFORE)}))`);
    await q.query(`ALTER TABLE ledger.entries DROP COLUMN task_id, DROP COLUMN task_kind`);
  }
}
