import { TOKEN_EVENT_CONTRACTS, type EventContract } from '@chat-ledger/contracts';
// class-transformer keeps the `@Type(() => Nested)` metadata here; the converter needs it to follow nested objects.
import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: MetadataStorage };
import { getMetadataStorage } from 'class-validator';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';

/** Where the published schemas live, relative to the repository root. */
export const SCHEMA_DIR = 'libs/contracts/schemas';

type JsonSchema = Record<string, unknown>;

export interface ContractSchemaFile {
  /** e.g. `chat.message.recorded.v2.schema.json` */
  file: string;
  schema: JsonSchema;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyContract = EventContract<string, any, unknown>;

/**
 * Every class-validator schema of the contracts as JSON Schema definitions, keyed by class name. Unknown fields
 * are rejected by the consumers (`forbidNonWhitelisted`), so every object says `additionalProperties: false`.
 */
function definitions(contracts: readonly AnyContract[]): Record<string, JsonSchema> {
  const all = validationMetadatasToSchemas({
    classTransformerMetadataStorage: defaultMetadataStorage,
    classValidatorMetadataStorage: getMetadataStorage(),
    refPointerPrefix: '#/$defs/',
  }) as Record<string, JsonSchema>;
  for (const schema of Object.values(all)) {
    if (schema.type === 'object') schema.additionalProperties = false;
  }
  // `@IsOptional()` lets a field be absent *or null* (producers write explicit nulls); the converter only drops it
  // from `required`, so such fields also accept null here.
  const classes = new Set(contracts.flatMap((c) => [c.schema, ...Object.values(c.nested ?? {})]));
  for (const cls of classes) {
    const properties = all[cls.name]?.properties as Record<string, JsonSchema> | undefined;
    if (!properties) continue;
    const optional = getMetadataStorage()
      .getTargetValidationMetadatas(cls, '', true, false)
      .filter((m) => m.type === 'conditionalValidation')
      .map((m) => m.propertyName);
    for (const name of new Set(optional)) {
      if (properties[name]) properties[name] = { anyOf: [properties[name], { type: 'null' }] };
    }
  }
  return all;
}

/** The definitions `root` refers to, transitively (the converter returns every class it knows). */
function reachable(root: string, all: Record<string, JsonSchema>): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  const visit = (name: string) => {
    if (out[name] || !all[name]) return;
    out[name] = all[name];
    for (const match of JSON.stringify(all[name]).matchAll(/"#\/\$defs\/([^"]+)"/g)) visit(match[1]);
  };
  visit(root);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * One JSON Schema (draft 2020-12) per contract: the envelope with `type` and `version` fixed and `data` as the
 * contract's schema. What class-validator checks is here; the cross-field rules a contract's `check` adds (totals
 * that must add up, text without NUL) are named in the description, since JSON Schema cannot say them.
 */
export function contractSchemas(contracts: readonly AnyContract[] = TOKEN_EVENT_CONTRACTS as readonly AnyContract[]): ContractSchemaFile[] {
  const all = definitions(contracts);
  return contracts.map((contract) => {
    const dataName = contract.schema.name;
    const file = `${contract.type}.v${contract.version}.schema.json`;
    const schema: JsonSchema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: `https://github.com/chat-ledger/chat-ledger/blob/main/${SCHEMA_DIR}/${file}`,
      title: `${contract.type} v${contract.version}`,
      description:
        `The JSON value of a ${contract.type} v${contract.version} record on the token-events topic (key: the user id). ` +
        'Generated from the contract in libs/contracts by `npm run contracts:schemas`; do not edit. ' +
        'Consumers also apply the contract’s cross-field checks (token parts adding up to their totals, ids and text well-formed), ' +
        'which JSON Schema cannot express.',
      type: 'object',
      // The envelope may grow fields (consumers ignore what they do not know); `data` never does within a version.
      required: ['id', 'type', 'version', 'source', 'occurred_at', 'data'],
      properties: {
        id: { type: 'string', format: 'uuid', description: 'event id (UUID v7): the idempotency key of every consumer' },
        type: { const: contract.type },
        version: { const: contract.version },
        source: { type: 'string', minLength: 1, maxLength: 100 },
        occurred_at: { type: 'string', format: 'date-time', description: 'RFC 3339, UTC, microseconds' },
        user_seq: {
          anyOf: [{ type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER }, { type: 'null' }],
          description: "the producer's per-user sequence number",
        },
        data: { $ref: `#/$defs/${dataName}` },
      },
      $defs: reachable(dataName, all),
    };
    return { file, schema };
  });
}

export function serialise(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
