import { Matches, ValidateBy, ValidationArguments } from 'class-validator';
import { SCHEMA_NAME_PATTERN, schemaNameRule, SchemaNames, schemaNamesProblemsByKey } from './schema-names';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type EnvClass = new (...args: any[]) => object;

/** The keys `schemaNamesFromEnv` reads: an app's config has them through WithSchemaNamesEnv. */
export interface SchemaNamesSettings {
  CHAT_SCHEMA: string;
  LEDGER_SCHEMA: string;
  OUTBOX_SCHEMA: string;
  OUTBOX_TABLE: string;
}

/**
 * The problems of a key beyond its pattern (PostgreSQL's own schemas, a schema another owner has), reported on that
 * key; a name that fails its pattern is reported by the pattern alone.
 */
const UsableSchemaName = (key: keyof SchemaNamesSettings) => {
  const problems = (config: SchemaNamesSettings) => {
    // A name that fails its pattern is reported by @Matches; another key's bad name only hides that key's problems.
    if (typeof config[key] !== 'string' || !SCHEMA_NAME_PATTERN.test(config[key])) return [];
    return schemaNamesProblemsByKey(schemaNamesFromEnv(config))
      .filter((p) => p.key === key)
      .map((p) => p.problem);
  };
  return ValidateBy({
    name: 'usableSchemaName',
    validator: {
      validate: (_value: unknown, args?: ValidationArguments) => problems(args?.object as SchemaNamesSettings).length === 0,
      defaultMessage: (args?: ValidationArguments) => problems(args?.object as SchemaNamesSettings).join('; '),
    },
  });
};

/**
 * Where chat-ledger keeps its tables, for a database it shares with tables of its own (a schema piece, a mixin like
 * WithJwtEnv, composed by every process that touches the database: the gateway, the ledger, the standalone relay
 * and the CLI, which must all be given the same values). Choose them before the first migration: they name where
 * the migrations create everything; an existing installation moves with `ALTER SCHEMA … RENAME TO …`.
 */
export function WithSchemaNamesEnv<TBase extends EnvClass>(Base: TBase) {
  class SchemaNamesEnvKeys extends Base implements SchemaNamesSettings {
    /** The gateway's schema (conversations, messages, budgets, tasks, usage records). */
    @Matches(SCHEMA_NAME_PATTERN, { message: schemaNameRule('CHAT_SCHEMA') })
    @UsableSchemaName('CHAT_SCHEMA')
    CHAT_SCHEMA = 'chat';

    /** The ledger-consumer's schema (journal, totals, prices, dead letters). */
    @Matches(SCHEMA_NAME_PATTERN, { message: schemaNameRule('LEDGER_SCHEMA') })
    @UsableSchemaName('LEDGER_SCHEMA')
    LEDGER_SCHEMA = 'ledger';

    /** The transactional outbox's schema (its events, replays and skips). */
    @Matches(SCHEMA_NAME_PATTERN, { message: schemaNameRule('OUTBOX_SCHEMA') })
    @UsableSchemaName('OUTBOX_SCHEMA')
    OUTBOX_SCHEMA = 'outbox';

    /** The outbox's table of events to publish, in OUTBOX_SCHEMA. */
    @Matches(SCHEMA_NAME_PATTERN, { message: schemaNameRule('OUTBOX_TABLE') })
    OUTBOX_TABLE = 'events';
  }
  return SchemaNamesEnvKeys;
}

export function schemaNamesFromEnv(config: SchemaNamesSettings): SchemaNames {
  return { chat: config.CHAT_SCHEMA, ledger: config.LEDGER_SCHEMA, outbox: config.OUTBOX_SCHEMA, outboxTable: config.OUTBOX_TABLE };
}
