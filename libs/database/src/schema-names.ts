import { Client } from 'pg';

/** The three schema owners: the gateway's chat schema, the outbox (libs/outbox) and the ledger. */
export type SchemaOwnerName = 'chat' | 'ledger' | 'outbox';

/**
 * Where a deployment keeps chat-ledger's objects (CHAT_SCHEMA, LEDGER_SCHEMA, OUTBOX_SCHEMA, OUTBOX_TABLE), so it can
 * share a database with tables of its own that already use the names `chat`, `ledger` or `outbox`.
 */
export interface SchemaNames {
  readonly chat: string;
  readonly ledger: string;
  readonly outbox: string;
  /** The outbox's table of events to publish (`outbox.events` by default). */
  readonly outboxTable: string;
}

export const DEFAULT_SCHEMA_NAMES: SchemaNames = Object.freeze({ chat: 'chat', ledger: 'ledger', outbox: 'outbox', outboxTable: 'events' });

/**
 * A name a deployment may choose: a lower-case PostgreSQL identifier that needs no quoting (so it reads the same
 * inside SQL and inside the string literals of `to_regclass('…')`), short enough for `<schema>_migrations` to stay
 * within PostgreSQL's 63 bytes, and not one of PostgreSQL's own schemas.
 */
export const SCHEMA_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,47}$/;
const RESERVED = /^(pg_.*|public|information_schema)$/;

/** Problems with a set of names (empty when it is usable). */
export function schemaNamesProblems(names: SchemaNames): string[] {
  const problems: string[] = [];
  const keys: Array<[keyof SchemaNames, string]> = [
    ['chat', 'CHAT_SCHEMA'],
    ['ledger', 'LEDGER_SCHEMA'],
    ['outbox', 'OUTBOX_SCHEMA'],
    ['outboxTable', 'OUTBOX_TABLE'],
  ];
  for (const [key, env] of keys) {
    const value = names[key];
    if (!SCHEMA_NAME_PATTERN.test(value))
      problems.push(`${env} must be a lower-case identifier of at most 48 characters (a-z, 0-9, _), got ${JSON.stringify(value)}`);
    else if (key !== 'outboxTable' && RESERVED.test(value)) problems.push(`${env} must not be one of PostgreSQL's own schemas (${value})`);
  }
  const schemas = [names.chat, names.ledger, names.outbox];
  if (new Set(schemas).size !== schemas.length)
    problems.push(`CHAT_SCHEMA, LEDGER_SCHEMA and OUTBOX_SCHEMA must be three different schemas, got ${schemas.join(', ')}`);
  return problems;
}

export function isDefaultSchemaNames(names: SchemaNames): boolean {
  return (Object.keys(DEFAULT_SCHEMA_NAMES) as Array<keyof SchemaNames>).every((key) => names[key] === DEFAULT_SCHEMA_NAMES[key]);
}

/** The schema a deployment uses for one owner (`chat` → CHAT_SCHEMA). */
export function schemaOf(names: SchemaNames, owner: string): string {
  return owner === 'chat' || owner === 'ledger' || owner === 'outbox' ? names[owner] : owner;
}

/**
 * The code writes its SQL with the default, schema-qualified names (`chat.messages`, `ledger.user_spend_view`,
 * `outbox.events`, `outbox.shard_of(…)`): readable, greppable, and the same SQL a reviewer sees in the migrations.
 * A deployment with other names has that text rewritten once per distinct statement, at the one place SQL leaves
 * the process (the pg client, see `schemaMappingClient`):
 * - `chat.<name>` / `ledger.<name>` / `outbox.<name>`, a two-part name, becomes `<schema>.<name>` (and
 *   `outbox.events` becomes `<OUTBOX_SCHEMA>.<OUTBOX_TABLE>`);
 * - `SCHEMA chat` (CREATE / DROP / ALTER … SET SCHEMA / GRANT … IN SCHEMA) names the schema itself.
 * Three-part dotted words are left alone, so the event types in SQL literals (`'chat.message.recorded'`,
 * `'ledger.tokens.adjusted'`) stay what they are; a spec checks every registered event type against this rule.
 */
export function schemaNameRewriter(names: SchemaNames): ((sql: string) => string) | undefined {
  const problems = schemaNamesProblems(names);
  if (problems.length > 0) throw new Error(problems.join('; '));
  if (isDefaultSchemaNames(names)) return undefined;
  const qualified = /(?<![\w$."-])(chat|ledger|outbox)\.([a-z_][a-z0-9_$]*)(?![\w$.])/g;
  const bare = /\b(SCHEMA\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?)(chat|ledger|outbox)\b(?![\w$.])/gi;
  const cache = new Map<string, string>();
  return (sql) => {
    const known = cache.get(sql);
    if (known !== undefined) return known;
    const rewritten = sql
      .replace(qualified, (_all, owner: SchemaOwnerName, name: string) =>
        owner === 'outbox' && name === 'events' ? `${names.outbox}.${names.outboxTable}` : `${names[owner]}.${name}`,
      )
      .replace(bare, (_all, keyword: string, owner: SchemaOwnerName) => `${keyword}${names[owner]}`);
    // Statements are a fixed set of texts (parameters travel apart); the bound only guards against a caller that
    // builds unbounded variants.
    if (cache.size < 5_000) cache.set(sql, rewritten);
    return rewritten;
  };
}

type QueryArgs = Parameters<Client['query']>;

/**
 * A node-postgres Client class that rewrites every statement's schema names (see `schemaNameRewriter`); pg's Pool
 * takes it as its `Client` option, TypeORM through `extra.Client`. With the default names it is pg's own Client,
 * untouched.
 */
export function schemaMappingClient(names: SchemaNames): typeof Client {
  const rewrite = schemaNameRewriter(names);
  if (!rewrite) return Client;
  class SchemaMappingClient extends Client {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override query(...args: any[]): any {
      const [config, ...rest] = args as QueryArgs;
      return (super.query as (...a: unknown[]) => unknown)(mapConfig(config, rewrite!), ...rest);
    }
  }
  return SchemaMappingClient;
}

function mapConfig(config: unknown, rewrite: (sql: string) => string): unknown {
  if (typeof config === 'string') return rewrite(config);
  if (config && typeof config === 'object') {
    const submittable = config as { submit?: unknown; text?: unknown; cursor?: { text?: unknown } };
    if (typeof submittable.submit === 'function') {
      // A submittable (pg-cursor, pg-query-stream) keeps its text itself: rewrite it in place.
      if (typeof submittable.text === 'string') submittable.text = rewrite(submittable.text);
      if (submittable.cursor && typeof submittable.cursor.text === 'string') submittable.cursor.text = rewrite(submittable.cursor.text);
      return config;
    }
    if (typeof submittable.text === 'string') return { ...config, text: rewrite(submittable.text) };
  }
  return config;
}
