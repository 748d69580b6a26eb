import 'reflect-metadata';
import { decodeTokenEvent, TOKEN_EVENT_CONTRACTS } from '@chat-ledger/contracts';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { contractSchemas, SCHEMA_DIR, serialise } from './json-schemas';

const dir = resolve(__dirname, '../..', SCHEMA_DIR);
const usage = { prompt_tokens: 120, completion_tokens: 80, cached_tokens: 10, cache_write_tokens: 5, reasoning_tokens: 20, total_tokens: 200 };

/** A valid `data` for every contract, as its producer writes it (explicit nulls included). */
const VALID_DATA: Record<string, Record<string, unknown>> = {
  'chat.message.recorded.v1': {
    user_id: 'u-1',
    conversation_id: randomUUID(),
    message_id: randomUUID(),
    role: 'assistant',
    model: 'gpt-4o',
    usage: { prompt_tokens: 120, completion_tokens: 80, cached_tokens: 10, reasoning_tokens: 0, total_tokens: 200 },
    tokens_delta: 200,
  },
  'chat.message.recorded.v2': {
    user_id: 'u-1',
    conversation_id: randomUUID(),
    message_id: randomUUID(),
    role: 'user',
    model: null,
    usage,
    tokens_delta: 200,
    channel: 'web',
    operation: null,
  },
  'ledger.tokens.adjusted.v1': {
    user_id: 'u-1',
    conversation_id: null,
    message_id: null,
    tokens_delta: -42,
    reason: 'refund',
    triggered_at: '2026-11-23T09:59:00+01:00',
  },
  'ledger.tokens.adjusted.v2': {
    user_id: 'u-1',
    conversation_id: randomUUID(),
    message_id: null,
    tokens_delta: 42,
    reason: 'tool_call',
    triggered_at: '2026-11-23T09:59:00Z',
    model: 'gpt-4o',
    channel: null,
    operation: 'agent_step',
  },
  'ledger.budget.threshold_crossed.v1': {
    user_id: 'u-1',
    metric: 'tokens',
    threshold_percent: 80,
    limit: 1000,
    used: 812,
    period: 'day',
    tz: 'Europe/Berlin',
    mode: 'hard',
    period_start: '2026-11-22T23:00:00Z',
    period_end: '2026-11-23T23:00:00Z',
  },
  'task.completed.v1': {
    task_id: randomUUID(),
    source: 'title-worker',
    external_id: 'title-1',
    kind: 'title_generation',
    user_id: 'u-1',
    conversation_id: null,
    client_id: null,
    outcome: 'succeeded',
    error: null,
    model: 'gpt-4o-mini',
    usage,
    tokens_delta: 200,
    started_at: '2026-11-23T09:58:00Z',
    completed_at: '2026-11-23T09:59:00Z',
  },
  'ledger.usage.upserted.v1': {
    user_id: 'u-1',
    conversation_id: null,
    source: 'indexer',
    external_id: 'job-7',
    revision: 2,
    previous_revision: 1,
    model: 'gpt-4o',
    channel: null,
    operation: 'indexing',
    usage,
    delta: { prompt_tokens: -20, completion_tokens: 0, cached_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, total_tokens: -20 },
  },
  'user.erased.v1': {
    user_id: 'u-1',
    erasure_id: randomUUID(),
    requested_at: '2026-11-23T10:00:00.123456Z',
  },
};

// The newest versions: the ones before plus the tenant (organisation, project, API key), each optional.
VALID_DATA['chat.message.recorded.v3'] = { ...VALID_DATA['chat.message.recorded.v2']!, org_id: 'org-a', project_id: null, api_key_id: 'key:42' };
VALID_DATA['ledger.tokens.adjusted.v3'] = { ...VALID_DATA['ledger.tokens.adjusted.v2']!, org_id: 'org-a', project_id: 'p1', api_key_id: null };
VALID_DATA['task.completed.v2'] = { ...VALID_DATA['task.completed.v1']!, org_id: null, project_id: null, api_key_id: null };
VALID_DATA['ledger.usage.upserted.v2'] = { ...VALID_DATA['ledger.usage.upserted.v1']!, org_id: 'org-b', project_id: null, api_key_id: 'k1' };

const envelope = (key: string, data: Record<string, unknown>) => {
  const contract = TOKEN_EVENT_CONTRACTS.find((c) => `${c.type}.v${c.version}` === key)!;
  return {
    id: randomUUID(),
    type: contract.type,
    version: contract.version,
    source: 'chat-gateway',
    occurred_at: '2026-11-23T10:00:00.123456Z',
    user_seq: 7,
    data,
  };
};

function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv);
  return (schema: object) => ajv.compile(schema);
}

describe('published JSON Schemas of the event contracts', () => {
  const generated = contractSchemas();
  const compile = validator();

  it('are current: libs/contracts/schemas is exactly what `npm run contracts:schemas` writes', async () => {
    const onDisk = readdirSync(dir)
      .filter((f) => f.endsWith('.schema.json'))
      .sort();
    await expect(Promise.resolve(onDisk)).resolves.toEqual(generated.map((g) => g.file).sort());
    for (const { file, schema } of generated) {
      expect(readFileSync(join(dir, file), 'utf8')).toBe(serialise(schema));
    }
  });

  it('has a valid sample for every contract in this spec', () => {
    expect(Object.keys(VALID_DATA).sort()).toEqual(generated.map((g) => g.file.replace(/\.schema\.json$/, '')).sort());
  });

  describe.each(generated.map((g) => [g.file.replace(/\.schema\.json$/, ''), g.schema] as const))('%s', (key, schema) => {
    const validate = compile(schema);
    const decodes = (value: unknown) => decodeTokenEvent(Buffer.from(JSON.stringify(value))).ok;

    it('accepts what the consumers accept: the producer’s event, and one without its optional fields', () => {
      const event = envelope(key, VALID_DATA[key]);
      expect(decodes(event)).toBe(true);
      expect(validate(event)).toBe(true);
      const minimal = envelope(key, Object.fromEntries(Object.entries(VALID_DATA[key]).filter(([, v]) => v !== null)));
      delete (minimal as Record<string, unknown>).user_seq;
      expect(decodes(minimal)).toBe(true);
      expect(validate(minimal)).toBe(true);
    });

    it.each([
      ['an unknown field in data', (d: Record<string, unknown>) => ({ ...d, surprise: 1 })],
      ['user_id missing', (d: Record<string, unknown>) => ({ ...d, user_id: undefined })],
      ['user_id null', (d: Record<string, unknown>) => ({ ...d, user_id: null })],
      ['user_id a number', (d: Record<string, unknown>) => ({ ...d, user_id: 42 })],
      ['user_id longer than 64', (d: Record<string, unknown>) => ({ ...d, user_id: 'u'.repeat(65) })],
    ])('refuses what the consumers refuse: %s', (_name, mutate) => {
      const event = envelope(key, JSON.parse(JSON.stringify(mutate(VALID_DATA[key]))));
      expect(decodes(event)).toBe(false);
      expect(validate(event)).toBe(false);
    });

    it('refuses another type or version under this schema, and a data that is not an object', () => {
      const event = envelope(key, VALID_DATA[key]);
      expect(validate({ ...event, version: event.version + 1 })).toBe(false);
      expect(validate({ ...event, type: 'other.event' })).toBe(false);
      expect(validate({ ...event, data: [] })).toBe(false);
      expect(validate({ ...event, id: 'not-a-uuid' })).toBe(false);
    });
  });
  const keyOf = (file: string) => file.replace(/\.schema\.json$/, '');
  describe.each(generated.filter((g) => 'org_id' in VALID_DATA[keyOf(g.file)]!).map((g) => [keyOf(g.file), g.schema] as const))(
    '%s (carries the tenant)',
    (key, schema) => {
      const validate = compile(schema);
      it.each([
        ['an org_id with a space', { org_id: 'org a' }],
        ['a project_id of 65 characters', { project_id: 'p'.repeat(65) }],
        ['an api_key_id that is a number', { api_key_id: 42 }],
      ])('refuses what the consumers refuse: %s', (_name, bad) => {
        const event = envelope(key, { ...VALID_DATA[key], ...bad });
        expect(decodeTokenEvent(Buffer.from(JSON.stringify(event))).ok).toBe(false);
        expect(validate(event)).toBe(false);
      });
    },
  );
});
