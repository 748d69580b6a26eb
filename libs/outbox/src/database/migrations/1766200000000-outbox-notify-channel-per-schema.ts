import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The relays' wake-up channel follows the outbox's schema (`<OUTBOX_SCHEMA>_events`; `outbox_events` with the
 * default names, as before), so two installations in one database, each with its own OUTBOX_SCHEMA, wake only their
 * own relays. The trigger reads its table's schema at run time; nothing here needs to know the names.
 */
export class OutboxNotifyChannelPerSchema1766200000000 implements MigrationInterface {
  name = 'OutboxNotifyChannelPerSchema1766200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION outbox.notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(TG_TABLE_SCHEMA || '_events', '');
        RETURN NULL;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION outbox.notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('outbox_events', '');
        RETURN NULL;
      END $$`);
  }
}
