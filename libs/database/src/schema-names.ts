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

/** What a key whose value fails SCHEMA_NAME_PATTERN is told. */
export function schemaNameRule(key: string): string {
  return `${key} must be a lower-case identifier of at most 48 characters (a-z, 0-9, _)`;
}

/** The environment key of each name. */
export const SCHEMA_NAME_KEYS: Readonly<Record<keyof SchemaNames, string>> = {
  chat: 'CHAT_SCHEMA',
  ledger: 'LEDGER_SCHEMA',
  outbox: 'OUTBOX_SCHEMA',
  outboxTable: 'OUTBOX_TABLE',
};

/** Problems with a set of names, each with the key it is about (empty when the set is usable). */
export function schemaNamesProblemsByKey(names: SchemaNames): Array<{ key: string; problem: string }> {
  const problems: Array<{ key: string; problem: string }> = [];
  const seen = new Map<string, string>();
  for (const [name, key] of Object.entries(SCHEMA_NAME_KEYS) as Array<[keyof SchemaNames, string]>) {
    const value = names[name];
    if (!SCHEMA_NAME_PATTERN.test(value)) {
      problems.push({ key, problem: `${schemaNameRule(key)}, got ${JSON.stringify(value)}` });
    } else if (name !== 'outboxTable') {
      if (RESERVED.test(value)) problems.push({ key, problem: `${key} must not be one of PostgreSQL's own schemas (${value})` });
      else if (seen.has(value))
        problems.push({ key, problem: `${key} must differ from ${seen.get(value)} (both ${value}): each owner needs a schema of its own` });
      seen.set(value, key);
    }
  }
  return problems;
}

/** Problems with a set of names (empty when it is usable). */
export function schemaNamesProblems(names: SchemaNames): string[] {
  return schemaNamesProblemsByKey(names).map((p) => p.problem);
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
 * - `chat.<name>` / `ledger.<name>` / `outbox.<name>` becomes `<schema>.<name>` (and `outbox.events` becomes
 *   `<OUTBOX_SCHEMA>.<OUTBOX_TABLE>`), also as the first parts of a column reference (`ledger.user_sequences.last_seq`);
 * - `SCHEMA chat` (CREATE / DROP / ALTER … SET SCHEMA / GRANT … IN SCHEMA) names the schema itself.
 * String literals are data and stay as written (`'chat.message.recorded'`, `'ledger.reprice'`), except the ones
 * that name an object: the argument of `to_regclass('…')` and its siblings, or a literal cast `::regclass`.
 * Quoted identifiers and comments are left alone as well.
 */
export function schemaNameRewriter(names: SchemaNames): ((sql: string) => string) | undefined {
  const problems = schemaNamesProblems(names);
  if (problems.length > 0) throw new Error(problems.join('; '));
  if (isDefaultSchemaNames(names)) return undefined;
  const qualified = /(?<![\w$."])(chat|ledger|outbox)\.([a-z_][a-z0-9_$]*)/g;
  const bare = /\b(SCHEMA\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?)(chat|ledger|outbox)\b(?![\w$.])/gi;
  const code = (text: string) =>
    text
      .replace(qualified, (_all, owner: SchemaOwnerName, name: string) =>
        owner === 'outbox' && name === 'events' ? `${names.outbox}.${names.outboxTable}` : `${names[owner]}.${name}`,
      )
      .replace(bare, (_all, keyword: string, owner: SchemaOwnerName) => `${keyword}${names[owner]}`);
  const cache = new Map<string, string>();
  return (sql) => {
    const known = cache.get(sql);
    if (known !== undefined) return known;
    const rewritten = mapOutsideLiterals(sql, code);
    // Statements are a fixed set of texts (parameters travel apart); the bound only guards against a caller that
    // builds unbounded variants.
    if (cache.size < 5_000) cache.set(sql, rewritten);
    return rewritten;
  };
}

const NAMES_AN_OBJECT_BEFORE = /to_reg(?:class|procedure|proc|type|namespace)\s*\(\s*$/i;
const NAMES_AN_OBJECT_AFTER = /^\s*::\s*reg(?:class|procedure|proc|type|namespace)\b/i;

/**
 * Applies `code` to the SQL outside string literals, quoted identifiers and comments (and to the literals that name
 * an object). Dollar-quoted function bodies are SQL and are scanned like the rest.
 */
function mapOutsideLiterals(sql: string, code: (text: string) => string): string {
  let out = '';
  let plainFrom = 0;
  let i = 0;
  const flushPlain = (to: number) => {
    out += code(sql.slice(plainFrom, to));
  };
  while (i < sql.length) {
    const c = sql[i]!;
    let end: number;
    if (c === '-' && sql[i + 1] === '-') {
      end = sql.indexOf('\n', i);
      if (end < 0) end = sql.length;
    } else if (c === '/' && sql[i + 1] === '*') {
      end = sql.indexOf('*/', i + 2);
      end = end < 0 ? sql.length : end + 2;
    } else if (c === '"' || c === "'") {
      // '' (and "") inside is an escaped quote; E'…' literals also escape with a backslash.
      const backslashes = c === "'" && /[eE]$/.test(sql.slice(Math.max(0, i - 1), i)) && !/[\w$]/.test(sql[i - 2] ?? '');
      end = i + 1;
      while (end < sql.length) {
        if (backslashes && sql[end] === '\\') end += 2;
        else if (sql[end] === c && sql[end + 1] === c) end += 2;
        else if (sql[end] === c) break;
        else end += 1;
      }
      end = Math.min(end + 1, sql.length);
    } else {
      i += 1;
      continue;
    }
    flushPlain(i);
    const chunk = sql.slice(i, end);
    const namesAnObject = c === "'" && (NAMES_AN_OBJECT_BEFORE.test(sql.slice(Math.max(0, i - 40), i)) || NAMES_AN_OBJECT_AFTER.test(sql.slice(end, end + 30)));
    out += namesAnObject ? code(chunk) : chunk;
    i = plainFrom = end;
  }
  flushPlain(sql.length);
  return out;
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
