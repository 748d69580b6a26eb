import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What tokens cost. The price book (per model, versioned by effective_from, never overwritten); cost in the
 * journal beside the tokens (integer micro-units, null = unpriced), cache write tokens and where usage came
 * from (channel, operation); cost corrections as journal entries of their own (repricing never rewrites a
 * row); cost and unpriced counts in every balance table; source, channel and operation as keys of the hourly
 * rollup, so summaries group by them without reading the journal.
 *
 * Events applied before prices existed stay unpriced (cost null) unless they count no tokens at all; a
 * reprice prices them.
 */
export class PriceBookAndCost1764800000000 implements MigrationInterface {
  name = 'PriceBookAndCost1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger.prices (
        model                         varchar(100) NOT NULL,
        effective_from                timestamptz  NOT NULL,
        currency                      char(3)      NOT NULL,
        -- micro-units of the currency per 1,000,000 tokens; null: the input (or, for reasoning, the output) price
        input_micros_per_mtok         bigint       NOT NULL CHECK (input_micros_per_mtok >= 0),
        cached_input_micros_per_mtok  bigint       CHECK (cached_input_micros_per_mtok >= 0),
        cache_write_micros_per_mtok   bigint       CHECK (cache_write_micros_per_mtok >= 0),
        output_micros_per_mtok        bigint       NOT NULL CHECK (output_micros_per_mtok >= 0),
        reasoning_micros_per_mtok     bigint       CHECK (reasoning_micros_per_mtok >= 0),
        created_by                    varchar(200) NOT NULL,
        created_at                    timestamptz  NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (model, effective_from)
      )`);
    await q.query(`
      CREATE TABLE ledger.reprices (
        id                uuid         PRIMARY KEY,
        actor             varchar(200) NOT NULL,
        from_at           timestamptz  NOT NULL,
        to_at             timestamptz  NOT NULL,
        models            text[],
        entries_written   integer      NOT NULL,
        cost_delta_micros bigint       NOT NULL,
        newly_priced      integer      NOT NULL,
        created_at        timestamptz  NOT NULL DEFAULT clock_timestamp()
      )`);

    await q.query(`ALTER TABLE ledger.entries DROP CONSTRAINT entries_event_type_check`);
    await q.query(`
      ALTER TABLE ledger.entries
        ADD CONSTRAINT entries_event_type_check CHECK (event_type IN ('chat.message.recorded', 'ledger.tokens.adjusted', 'ledger.cost.corrected')),
        ADD COLUMN cache_write_tokens   bigint NOT NULL DEFAULT 0 CHECK (cache_write_tokens >= 0),
        ADD COLUMN channel              varchar(32),
        ADD COLUMN operation            varchar(64),
        ADD COLUMN cost_micros          bigint,
        -- 1 for an event counted without a price, 0 when priced; a correction that prices it carries -1
        ADD COLUMN unpriced             smallint NOT NULL DEFAULT 0,
        ADD COLUMN price_effective_from timestamptz,
        ADD COLUMN corrects_event_id    uuid`);
    await q.query(`
      UPDATE ledger.entries
         SET cost_micros = CASE WHEN tokens_delta = 0 AND total_tokens = 0 THEN 0 END,
             unpriced    = CASE WHEN tokens_delta = 0 AND total_tokens = 0 THEN 0 ELSE 1 END`);
    await q.query(`CREATE INDEX entries_corrects_idx ON ledger.entries (corrects_event_id) WHERE corrects_event_id IS NOT NULL`);
    // Repricing walks a time range of one or more models.
    await q.query(`CREATE INDEX entries_model_time_idx ON ledger.entries (model, effective_at) WHERE event_type <> 'ledger.cost.corrected'`);

    for (const table of ['user_totals', 'conversation_totals']) {
      await q.query(`ALTER TABLE ledger.${table} ADD COLUMN cache_write_tokens bigint NOT NULL DEFAULT 0,
                       ADD COLUMN cost_micros bigint NOT NULL DEFAULT 0, ADD COLUMN unpriced_events bigint NOT NULL DEFAULT 0`);
    }
    await q.query(`ALTER TABLE ledger.message_totals ADD COLUMN cost_micros bigint NOT NULL DEFAULT 0, ADD COLUMN unpriced_events bigint NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE ledger.usage_hourly DROP CONSTRAINT usage_hourly_key`);
    await q.query(`
      ALTER TABLE ledger.usage_hourly
        ADD COLUMN source varchar(100), ADD COLUMN channel varchar(32), ADD COLUMN operation varchar(64),
        ADD COLUMN cache_write_tokens bigint NOT NULL DEFAULT 0,
        ADD COLUMN cost_micros bigint NOT NULL DEFAULT 0, ADD COLUMN unpriced_events bigint NOT NULL DEFAULT 0`);
    await q.query(`TRUNCATE ledger.usage_hourly`);
    await q.query(`
      ALTER TABLE ledger.usage_hourly ADD CONSTRAINT usage_hourly_key
        UNIQUE NULLS NOT DISTINCT (user_id, bucket, conversation_id, model, reason, source, channel, operation)`);

    // Existing balances: nothing was priced before, so cost stays 0 and the unpriced events are counted. The
    // rollup gets its new keys by being recomputed from the journal (written out here, not taken from the
    // aggregate definitions, which later migrations may extend).
    for (const [table, key] of [
      ['user_totals', 'user_id'],
      ['conversation_totals', 'conversation_id'],
      ['message_totals', 'message_id'],
    ] as const) {
      await q.query(`
        UPDATE ledger.${table} t SET unpriced_events = e.n
          FROM (SELECT ${key} AS k, sum(unpriced)::bigint AS n FROM ledger.entries WHERE ${key} IS NOT NULL GROUP BY 1) e
         WHERE t.${key} = e.k`);
    }
    await q.query(`
      INSERT INTO ledger.usage_hourly (user_id, bucket, conversation_id, model, reason, source, channel, operation, events_count, messages_counted,
                                       adjustments_count, tokens_delta, prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens,
                                       reasoning_tokens, total_tokens, cost_micros, unpriced_events)
      SELECT user_id, date_trunc('hour', effective_at, 'UTC'), conversation_id, model, reason, source, channel, operation, count(*),
             count(*) FILTER (WHERE event_type = 'chat.message.recorded'), count(*) FILTER (WHERE event_type = 'ledger.tokens.adjusted'),
             sum(tokens_delta), sum(prompt_tokens), sum(completion_tokens), sum(cached_tokens), 0, sum(reasoning_tokens), sum(total_tokens),
             coalesce(sum(cost_micros), 0), sum(unpriced)
        FROM ledger.entries GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM ledger.entries WHERE event_type = 'ledger.cost.corrected'`);
    await q.query(`ALTER TABLE ledger.usage_hourly DROP CONSTRAINT usage_hourly_key`);
    await q.query(`TRUNCATE ledger.usage_hourly`);
    await q.query(
      `ALTER TABLE ledger.usage_hourly DROP COLUMN source, DROP COLUMN channel, DROP COLUMN operation, DROP COLUMN cache_write_tokens, DROP COLUMN cost_micros, DROP COLUMN unpriced_events`,
    );
    await q.query(
      `ALTER TABLE ledger.usage_hourly ADD CONSTRAINT usage_hourly_key UNIQUE NULLS NOT DISTINCT (user_id, bucket, conversation_id, model, reason)`,
    );
    await q.query(`
      INSERT INTO ledger.usage_hourly (user_id, bucket, conversation_id, model, reason, events_count, messages_counted, adjustments_count,
                                       tokens_delta, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, total_tokens)
      SELECT user_id, date_trunc('hour', effective_at, 'UTC'), conversation_id, model, reason, count(*),
             count(*) FILTER (WHERE event_type = 'chat.message.recorded'), count(*) FILTER (WHERE event_type = 'ledger.tokens.adjusted'),
             sum(tokens_delta), sum(prompt_tokens), sum(completion_tokens), sum(cached_tokens), sum(reasoning_tokens), sum(total_tokens)
        FROM ledger.entries GROUP BY 1, 2, 3, 4, 5`);
    await q.query(`ALTER TABLE ledger.message_totals DROP COLUMN cost_micros, DROP COLUMN unpriced_events`);
    for (const table of ['user_totals', 'conversation_totals']) {
      await q.query(`ALTER TABLE ledger.${table} DROP COLUMN cache_write_tokens, DROP COLUMN cost_micros, DROP COLUMN unpriced_events`);
    }
    await q.query(`DROP INDEX ledger.entries_model_time_idx`);
    await q.query(`DROP INDEX ledger.entries_corrects_idx`);
    await q.query(`
      ALTER TABLE ledger.entries DROP COLUMN cache_write_tokens, DROP COLUMN channel, DROP COLUMN operation, DROP COLUMN cost_micros,
        DROP COLUMN unpriced, DROP COLUMN price_effective_from, DROP COLUMN corrects_event_id`);
    await q.query(`ALTER TABLE ledger.entries DROP CONSTRAINT entries_event_type_check`);
    await q.query(
      `ALTER TABLE ledger.entries ADD CONSTRAINT entries_event_type_check CHECK (event_type IN ('chat.message.recorded', 'ledger.tokens.adjusted'))`,
    );
    await q.query(`DROP TABLE ledger.reprices`);
    await q.query(`DROP TABLE ledger.prices`);
  }
}
