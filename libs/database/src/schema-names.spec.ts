import 'reflect-metadata';
import { DEFAULT_TOKEN_EVENTS_TOPIC, TOKEN_EVENT_CONTRACTS } from '@chat-ledger/contracts';
import { DEFAULT_SCHEMA_NAMES, SchemaNames, schemaMappingClient, schemaNameRewriter, schemaNamesProblems } from './schema-names';
import { Client } from 'pg';
import { BaseEnv, loadConfig } from '@chat-ledger/platform';
import { schemaNamesFromEnv, WithSchemaNamesEnv } from './schema-names.env';

const acme: SchemaNames = { chat: 'acme_chat', ledger: 'acme_ledger', outbox: 'acme_outbox', outboxTable: 'chat_events' };

describe('schema names (CHAT_SCHEMA, LEDGER_SCHEMA, OUTBOX_SCHEMA, OUTBOX_TABLE)', () => {
  const rewrite = schemaNameRewriter(acme)!;

  it('with the default names nothing is rewritten and pg’s own Client is used', () => {
    expect(schemaNameRewriter(DEFAULT_SCHEMA_NAMES)).toBeUndefined();
    expect(schemaMappingClient(DEFAULT_SCHEMA_NAMES)).toBe(Client);
    expect(schemaMappingClient(acme)).not.toBe(Client);
  });

  it('qualified names move to the chosen schemas; outbox.events becomes OUTBOX_SCHEMA.OUTBOX_TABLE', () => {
    expect(rewrite(`SELECT m.id FROM chat.messages m JOIN ledger.user_spend_view s ON s.user_id = m.user_id`)).toBe(
      `SELECT m.id FROM acme_chat.messages m JOIN acme_ledger.user_spend_view s ON s.user_id = m.user_id`,
    );
    expect(rewrite(`INSERT INTO outbox.events (partition_key) VALUES ($1)`)).toBe(`INSERT INTO acme_outbox.chat_events (partition_key) VALUES ($1)`);
    expect(rewrite(`GENERATED ALWAYS AS (outbox.shard_of(partition_key))`)).toBe(`GENERATED ALWAYS AS (acme_outbox.shard_of(partition_key))`);
    expect(rewrite(`SELECT to_regclass('outbox.replays'), to_regclass('chat.outbox')`)).toBe(
      `SELECT to_regclass('acme_outbox.replays'), to_regclass('acme_chat.outbox')`,
    );
    expect(rewrite(`SELECT 1 FROM ledger.entries WHERE x`)).toBe(`SELECT 1 FROM acme_ledger.entries WHERE x`);
  });

  it('the schema itself, where a statement names it bare', () => {
    expect(rewrite(`CREATE SCHEMA IF NOT EXISTS chat`)).toBe(`CREATE SCHEMA IF NOT EXISTS acme_chat`);
    expect(rewrite(`DROP SCHEMA IF EXISTS ledger CASCADE`)).toBe(`DROP SCHEMA IF EXISTS acme_ledger CASCADE`);
    expect(rewrite(`ALTER TABLE chat.outbox SET SCHEMA outbox`)).toBe(`ALTER TABLE acme_chat.outbox SET SCHEMA acme_outbox`);
    expect(rewrite(`GRANT USAGE ON SCHEMA ledger TO reader`)).toBe(`GRANT USAGE ON SCHEMA acme_ledger TO reader`);
  });

  it('column references through a qualified table, and names inside function bodies', () => {
    expect(rewrite(`ON CONFLICT (user_id) DO UPDATE SET last_seq = GREATEST(ledger.user_sequences.last_seq, EXCLUDED.last_seq)`)).toBe(
      `ON CONFLICT (user_id) DO UPDATE SET last_seq = GREATEST(acme_ledger.user_sequences.last_seq, EXCLUDED.last_seq)`,
    );
    expect(rewrite(`SELECT outbox.events.id FROM outbox.events`)).toBe(`SELECT acme_outbox.chat_events.id FROM acme_outbox.chat_events`);
    expect(rewrite(`CREATE FUNCTION outbox.notify() RETURNS trigger AS $$ BEGIN PERFORM 1 FROM outbox.replays WHERE note = 'it''s chat.tasks'; END $$`)).toBe(
      `CREATE FUNCTION acme_outbox.notify() RETURNS trigger AS $$ BEGIN PERFORM 1 FROM acme_outbox.replays WHERE note = 'it''s chat.tasks'; END $$`,
    );
    expect(rewrite(`SELECT 'chat.messages'::regclass, to_regprocedure( 'ledger.event_cost_micros(text)' )`)).toBe(
      `SELECT 'acme_chat.messages'::regclass, to_regprocedure( 'acme_ledger.event_cost_micros(text)' )`,
    );
  });

  it('leaves data alone: string literals (event types, topics), quoted identifiers, comments, other identifiers', () => {
    for (const contract of TOKEN_EVENT_CONTRACTS) {
      expect(rewrite(`SELECT '${contract.type}'`)).toBe(`SELECT '${contract.type}'`);
    }
    for (const text of [
      `SELECT '${DEFAULT_TOKEN_EVENTS_TOPIC}'`,
      `SELECT 'chat.message.recorded', 'ledger.tokens.adjusted'`,
      `SELECT my_chat.messages, "chat".messages, x.chat.y, "ledger.entries" FROM t`,
      `SELECT pg_advisory_lock(hashtext('chat-ledger.lock'))`,
      `SELECT chat_id FROM t WHERE kind = 'chat'`,
      `INSERT INTO t (kafka_topic, note) VALUES ('ledger.reprice', E'ledger.x\\' chat.y')`,
      `SELECT 1 -- the user's chat.messages are kept\n`,
      `SELECT 1 /* ledger.entries, it's */`,
    ]) {
      expect(rewrite(text)).toBe(text);
    }
  });

  it('rewrites the text of statement objects (named statements) and keeps their values', () => {
    const seen: unknown[] = [];
    const Mapped = schemaMappingClient(acme);
    const client = new Mapped();
    // What pg's Client.query receives after the rewrite (no connection needed to see it).
    jest.spyOn(Client.prototype, 'query').mockImplementation(((config: unknown) => {
      seen.push(config);
      return Promise.resolve({ rows: [] });
    }) as never);
    void client.query('SELECT * FROM chat.tasks');
    void client.query({ name: 'apply', text: 'UPDATE ledger.user_totals SET x = $1', values: [1] });
    expect(seen).toEqual(['SELECT * FROM acme_chat.tasks', { name: 'apply', text: 'UPDATE acme_ledger.user_totals SET x = $1', values: [1] }]);
    jest.restoreAllMocks();
  });

  it('refuses names that need quoting, PostgreSQL’s own schemas and two owners in one schema', () => {
    expect(schemaNamesProblems(acme)).toEqual([]);
    expect(schemaNamesProblems({ ...acme, chat: 'Acme-Chat' })).toEqual([expect.stringContaining('CHAT_SCHEMA must be a lower-case identifier')]);
    expect(schemaNamesProblems({ ...acme, ledger: 'public' })).toEqual([expect.stringContaining("LEDGER_SCHEMA must not be one of PostgreSQL's own schemas")]);
    expect(schemaNamesProblems({ ...acme, outbox: 'acme_chat' })).toEqual([
      'OUTBOX_SCHEMA must differ from CHAT_SCHEMA (both acme_chat): each owner needs a schema of its own',
    ]);
    expect(schemaNamesProblems({ ...acme, outboxTable: 'x'.repeat(49) })).toEqual([expect.stringContaining('OUTBOX_TABLE must be')]);
    expect(() => schemaNameRewriter({ ...acme, chat: 'pg_catalog' })).toThrow("CHAT_SCHEMA must not be one of PostgreSQL's own schemas");
  });

  it('an app’s config reads the four keys, and lists every bad one at boot', () => {
    class Env extends WithSchemaNamesEnv(BaseEnv) {}
    expect(schemaNamesFromEnv(loadConfig(Env, {}))).toEqual(DEFAULT_SCHEMA_NAMES);
    expect(
      schemaNamesFromEnv(
        loadConfig(Env, { CHAT_SCHEMA: 'acme_chat', LEDGER_SCHEMA: 'acme_ledger', OUTBOX_SCHEMA: 'acme_outbox', OUTBOX_TABLE: 'chat_events' }),
      ),
    ).toEqual(acme);
    expect(() => loadConfig(Env, { CHAT_SCHEMA: 'Chat', OUTBOX_SCHEMA: 'public' })).toThrow(
      /CHAT_SCHEMA: CHAT_SCHEMA must be a lower-case identifier[\s\S]*OUTBOX_SCHEMA: OUTBOX_SCHEMA must not be one of PostgreSQL's own schemas/,
    );
    expect(() => loadConfig(Env, { CHAT_SCHEMA: 'ledger' })).toThrow('LEDGER_SCHEMA: LEDGER_SCHEMA must differ from CHAT_SCHEMA (both ledger)');
  });
});
