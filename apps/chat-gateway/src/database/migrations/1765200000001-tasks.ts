import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Token-consuming tasks of internal services (title generation, summarisation, agent runs, indexing): one
 * row per (source, external_id), moving only forward (pending → running → a final state), completed once.
 * The partial indexes serve the running list (open tasks only, by each sort key) and stall detection.
 */
export class Tasks1765200000001 implements MigrationInterface {
  name = 'Tasks1765200000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE chat.tasks (
        id               uuid PRIMARY KEY,
        source           varchar(64)  NOT NULL,
        external_id      varchar(128) NOT NULL,
        kind             varchar(64)  NOT NULL,
        user_id          varchar(64)  NOT NULL,
        conversation_id  uuid,
        client_id        varchar(128),
        total_items      bigint CHECK (total_items >= 0),
        processed_items  bigint       NOT NULL DEFAULT 0 CHECK (processed_items >= 0),
        metadata         jsonb,
        status           varchar(10)  NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
        progress         smallint     NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
        message          varchar(1000),
        created_by       varchar(64)  NOT NULL,
        -- what the creating request said, so the same POST again returns the task and another one is a 409
        request_digest   text         NOT NULL,
        created_at       timestamptz  NOT NULL DEFAULT now(),
        started_at       timestamptz,
        last_update_at   timestamptz  NOT NULL DEFAULT now(),
        completed_at     timestamptz,
        completed_by     varchar(64),
        error            varchar(2000),
        model            varchar(100),
        usage            jsonb,
        completion_digest text,
        completion_event_id uuid,
        UNIQUE (source, external_id)
      )`);
    const open = `WHERE status IN ('pending', 'running')`;
    await q.query(`CREATE INDEX tasks_open_started_idx ON chat.tasks ((coalesce(started_at, created_at)), id) ${open}`);
    await q.query(`CREATE INDEX tasks_open_update_idx ON chat.tasks (last_update_at, id) ${open}`);
    await q.query(`CREATE INDEX tasks_open_progress_idx ON chat.tasks (progress, id) ${open}`);
    await q.query(`CREATE INDEX tasks_open_user_idx ON chat.tasks (user_id) ${open}`);
    await q.query(`CREATE INDEX tasks_user_idx ON chat.tasks (user_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE chat.tasks`);
  }
}
