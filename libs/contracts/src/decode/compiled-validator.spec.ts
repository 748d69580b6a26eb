import 'reflect-metadata';
import { getMetadataStorage, IsIn, IsInt, IsOptional, Length, validateSync, ValidateIf } from 'class-validator';
import { EventEnvelopeDto } from '../envelope/event-envelope';
import { TOKEN_EVENT_CONTRACTS } from '../registry/token-event-registry';
import { CompiledValidator } from './compiled-validator';

// The compiled check must answer exactly what validateSync answers ("no errors" or not) for every object, valid or
// not: these specs compare the two on objects built from every contract's own rules, then mutated at random.

const ENVELOPE_OPTIONS = { forbidUnknownValues: true, validationError: { target: false, value: false } };
const DATA_OPTIONS = { whitelist: true, forbidNonWhitelisted: true, ...ENVELOPE_OPTIONS };

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values that pass and fail the rules our contracts use: lengths, ids, slugs, integers and their bounds, times. */
const SCALARS: unknown[] = [
  undefined,
  null,
  '',
  'a',
  'u-1',
  'Org_1',
  'x'.repeat(32),
  'x'.repeat(33),
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(100),
  'x'.repeat(101),
  'nul\u0000byte',
  '0195f3c4-8a1b-7c2d-9e3f-4a5b6c7d8e9f',
  '0195F3C4-8A1B-7C2D-9E3F-4A5B6C7D8E9F',
  '0195f3c4-8a1b-7c2d-9e3f-4a5b6c7d8e9',
  'assistant',
  'user',
  'tool',
  'refund',
  'web',
  'title_generation',
  'Web',
  'gpt-4o',
  'tasks',
  'chat.message.recorded',
  'daily',
  'hard',
  'tokens',
  '2026-11-23T10:00:00Z',
  '2026-11-23T10:00:00.123456Z',
  '2026-11-23 10:00:00Z',
  '2026-13-01T00:00:00Z',
  0,
  1,
  -1,
  2,
  80,
  1.5,
  -42,
  1_000_000_000,
  1_000_000_001,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  Number.NaN,
  true,
  false,
  {},
  [],
  ['a'],
  { nested: true },
];

type ValidatedClass = abstract new (...args: never[]) => object;

function propertiesOf(cls: ValidatedClass): string[] {
  const storage = getMetadataStorage();
  return Object.keys(storage.groupByPropertyName(storage.getTargetValidationMetadatas(cls, '', false, false)));
}

/** The values a property's rules name (IsIn lists), so enumerations get valid values too. */
function namedValues(cls: ValidatedClass, property: string): unknown[] {
  const storage = getMetadataStorage();
  return storage
    .getTargetValidationMetadatas(cls, '', false, false)
    .filter((m) => m.propertyName === property)
    .flatMap((m) => (m.constraints ?? []).flatMap((c: unknown) => (Array.isArray(c) ? c : [])));
}

const errorsOn = (errors: ReturnType<typeof validateSync>, property: string) => errors.some((e) => e.property === property);

/**
 * An instance of `cls` that validateSync accepts, each property the first value of `pools` its rules accept
 * (nested objects already built), and per property the values its rules accept.
 */
function validInstance(cls: new () => object, pools: Record<string, unknown[]>, options: object): { instance: object; good: Record<string, unknown[]> } {
  const good: Record<string, unknown[]> = {};
  const base: Record<string, unknown> = {};
  for (const property of propertiesOf(cls)) {
    const pool = pools[property] ?? [...SCALARS, ...namedValues(cls, property)];
    good[property] = pool.filter((value) => !errorsOn(validateSync(Object.assign(new cls(), { [property]: value }), options), property));
    if (good[property]!.length === 0) throw new Error(`no value in the pool passes ${cls.name}.${property}`);
    base[property] = good[property]![0];
  }
  const instance = Object.assign(new cls(), base);
  expect({ cls: cls.name, errors: validateSync(instance, options) }).toEqual({ cls: cls.name, errors: [] });
  return { instance, good };
}

/** `count` objects of `cls`: the valid base with 0–3 properties changed, removed or added, and a nested value swapped. */
function mutants(
  cls: new () => object,
  valid: { instance: object; good: Record<string, unknown[]> },
  pools: Record<string, unknown[]>,
  seed: number,
  count: number,
) {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const properties = Object.keys(valid.good);
  const out: object[] = [valid.instance];
  for (let i = 0; i < count; i++) {
    const object = Object.assign(new cls(), valid.instance) as Record<string, unknown>;
    const changes = Math.floor(random() * 4);
    for (let c = 0; c < changes; c++) {
      const property = pick(properties);
      const roll = random();
      if (roll < 0.1) delete object[property];
      else if (roll < 0.2) object[pick(['extra', 'userId', 'data'])] = pick(SCALARS);
      else if (roll < 0.6) object[property] = pick(valid.good[property]!);
      else object[property] = pick(pools[property] ?? [...SCALARS, ...namedValues(cls, property)]);
    }
    out.push(object);
  }
  return out;
}

function expectSameAnswers(objects: object[], options: object, compiled: CompiledValidator) {
  let accepted = 0;
  for (const object of objects) {
    const expected = validateSync(object, options).length === 0;
    expect({ object, valid: compiled.validity(object) }).toEqual({ object, valid: expected });
    if (expected) accepted++;
  }
  // Both answers are exercised: neither "always valid" nor "always ask class-validator" would pass.
  expect(accepted).toBeGreaterThan(objects.length / 10);
  expect(accepted).toBeLessThan(objects.length);
}

describe('CompiledValidator', () => {
  const data = new CompiledValidator({ forbidNonWhitelisted: true });

  it.each(TOKEN_EVENT_CONTRACTS.map((c) => [`${c.type} v${c.version}`, c] as const))('answers as validateSync for the data of %s', (_, contract) => {
    const pools: Record<string, unknown[]> = {};
    for (const [field, nestedCls] of Object.entries(contract.nested ?? {})) {
      const nested = validInstance(nestedCls, {}, DATA_OPTIONS);
      const nestedMutants = mutants(nestedCls, nested, {}, 7, 300);
      expectSameAnswers(nestedMutants, DATA_OPTIONS, data);
      // Nested values: valid and invalid instances, and what is no instance at all (a plain object, an array, text).
      pools[field] = [...nestedMutants.slice(0, 40), { ...nested.instance }, [nested.instance], [nestedMutants[1], undefined], 'usage', null, undefined];
    }
    const valid = validInstance(contract.schema, pools, DATA_OPTIONS);
    expectSameAnswers(mutants(contract.schema, valid, pools, contract.version * 31 + contract.type.length, 1500), DATA_OPTIONS, data);
  });

  it('answers as validateSync for envelopes (unknown envelope fields allowed)', () => {
    const envelope = new CompiledValidator({ forbidNonWhitelisted: false });
    const pools = { data: [{ user_id: 'u-1' }, {}, null, undefined, [], 'data', 1] };
    const valid = validInstance(EventEnvelopeDto, pools, ENVELOPE_OPTIONS);
    expectSameAnswers(mutants(EventEnvelopeDto, valid, pools, 99, 1500), ENVELOPE_OPTIONS, envelope);
  });

  it('asks class-validator (answers false) for rules it does not compile, and for objects of classes without rules', () => {
    class Grouped {
      @Length(1, 5, { groups: ['a'] }) name!: string;
    }
    class Each {
      @IsInt({ each: true }) values!: number[];
    }
    class Conditional {
      @ValidateIf((o: { kind?: string }) => o.kind === 'x') @IsIn(['a']) value!: string;
      @IsOptional() @IsIn(['x', 'y']) kind?: string;
    }
    expect(data.validity(Object.assign(new Grouped(), { name: 'ok' }))).toBe(false);
    expect(data.validity(Object.assign(new Each(), { values: [1, 2] }))).toBe(false);
    expect(data.validity({ plain: true })).toBe(false);
    // ValidateIf is a condition like IsOptional: compiled, and answered as validateSync answers.
    const conditional = [{ kind: 'y', value: 'b' }, { kind: 'x', value: 'b' }, { kind: 'x', value: 'a' }, {}].map((o) => Object.assign(new Conditional(), o));
    expect(conditional.map((o) => data.validity(o))).toEqual(conditional.map((o) => validateSync(o, DATA_OPTIONS).length === 0));
  });
});
