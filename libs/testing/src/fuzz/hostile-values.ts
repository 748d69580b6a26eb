/**
 * Values that are invalid for a field of a given kind. Every value here must be rejected by a
 * correct API for that kind of field; none may be accepted or crash it.
 * `raw` values are JSON text spliced into the body as-is (NaN, 1e309, …).
 */
/**
 * `count`: a non-negative integer of everyday size (a billion is absurd); `amount`: a non-negative integer that may be
 * large (a limit in micro-units, a revision number), so only what no integer field takes is hostile; `decimal`: a
 * non-negative decimal string with at most six decimals (a price such as "2.50").
 */
export type FieldKind = 'text' | 'required-text' | 'enum' | 'count' | 'amount' | 'decimal' | 'signed-int' | 'uuid' | 'time' | 'object' | 'slug' | 'user-id';

export interface HostileValue {
  label: string;
  value?: unknown;
  raw?: string;
}

const v = (label: string, value: unknown): HostileValue => ({ label, value });
const raw = (label: string, text: string): HostileValue => ({ label, raw: text });

const deep = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

/** Wrong types: invalid for every field kind (objects are handled separately). */
const WRONG_TYPES: HostileValue[] = [v('true', true), v('array', [1, 2]), v('empty array', []), v('mongo operator', { $gt: '' }), v('deep object', deep(200))];

/**
 * Well-formed but impossible: each passes a format check (RFC 3339 shape, digits, base64url JSON) and names
 * something that cannot exist. A correct API refuses them with the field named (400), never a 500 from the
 * database or a date library that rolled 30 February over into March.
 */
const IMPOSSIBLE_TIMES = [
  '2026-02-30T10:00:00Z',
  '2026-02-29T00:00:00Z', // 2026 is not a leap year
  '2026-04-31T00:00:00Z',
  '2026-11-23T24:30:00Z',
  '2026-11-23T10:61:00Z',
  '2026-11-23T10:00:60.5Z',
  '2026-11-23T10:00:00+25:00',
  '0000-01-01T00:00:00Z',
  '+275760-09-13T00:00:00Z',
];
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const IMPOSSIBLE_CURSORS = [
  b64(['2026-02-30T00:00:00.000000Z', '0190f0e0-0000-7000-8000-000000000000']),
  b64(['created', '2026-02-30T00:00:00.000000Z', '0190f0e0-0000-7000-8000-000000000000']),
  b64(['activity', '+275760-09-13T00:00:00Z', 'not-a-uuid']),
  b64({ createdAt: '2026-13-45T00:00:00Z', id: '00000000-0000-0000-0000-000000000000' }),
  b64({ t: '2026-02-30T00:00:00Z', id: '99999999999999999999999' }),
  b64(['9223372036854775808']),
  b64([null, null, null]),
  Buffer.from('[1e309]').toString('base64url'), // JSON's number overflows to Infinity when parsed
  b64('x'.repeat(5000)),
];

const SQLISH = ["1' OR '1'='1", "'; DROP TABLE chat.messages; --", '1; SELECT pg_sleep(10)', '$$ || chr(0) || $$'];

/** Invalid for every non-negative integer field, however large it may be. */
const NOT_A_NON_NEGATIVE_INTEGER: HostileValue[] = [
  v('negative', -1),
  v('fractional', 1.5),
  v('beyond safe integers', 2 ** 60),
  v('numeric string', '12'),
  raw('1e309', '1e309'),
  raw('-1e309', '-1e309'),
];

export function hostileValuesFor(kind: FieldKind, opts: { maxLength?: number; required?: boolean; futureValid?: boolean } = {}): HostileValue[] {
  const common = kind === 'object' ? [v('string', 'lots'), v('number', 5), v('true', true), v('array', [1])] : [...WRONG_TYPES, v('empty object', {})];
  const required = opts.required ? [v('null', null)] : [];
  const over = (opts.maxLength ?? 0) + 1;
  switch (kind) {
    case 'text':
    case 'required-text':
      return [
        ...common,
        ...required,
        v('number', 42),
        v('NUL character', 'a\u0000b'),
        v('lone surrogate', 'a\ud800b'),
        ...(kind === 'required-text' || opts.required ? [v('empty string', '')] : [v('empty string', '')]),
        ...(opts.maxLength ? [v('oversized string', 'x'.repeat(over)), v('oversized multibyte string', 'é'.repeat(over))] : []),
      ];
    case 'enum':
      return [
        ...common,
        ...required,
        v('unknown value', 'bot'),
        v('upper case', 'USER'),
        v('empty string', ''),
        v('number', 1),
        ...SQLISH.map((s) => v(`sql ${s}`, s)),
      ];
    case 'count':
      return [...common, ...required, ...NOT_A_NON_NEGATIVE_INTEGER, v('absurd', 1_000_000_001)];
    case 'amount':
      return [...common, ...required, ...NOT_A_NON_NEGATIVE_INTEGER];
    case 'decimal':
      return [
        ...common,
        ...required,
        v('number', 2.5),
        v('negative', '-1.00'),
        v('seven decimals', '0.1234567'),
        v('exponent', '1e3'),
        v('words', 'cheap'),
        v('empty string', ''),
        v('comma', '2,50'),
        v('leading space', ' 2.50'),
        v('NaN', 'NaN'),
        v('Infinity', 'Infinity'),
        v('hex', '0x10'),
        v('absurd', '1'.repeat(40)),
      ];
    case 'signed-int':
      return [
        ...common,
        ...required,
        v('fractional', -1.5),
        v('absurd', -2_000_000_000),
        v('numeric string', '5'),
        raw('1e309', '1e309'),
        v('beyond safe integers', -(2 ** 60)),
      ];
    case 'uuid':
      return [
        ...common,
        ...required,
        v('not a uuid', 'not-a-uuid'),
        v('empty string', ''),
        v('long', 'a'.repeat(1000)),
        v('number', 123),
        ...SQLISH.map((s) => v(`sql ${s}`, s)),
      ];
    case 'time':
      return [
        ...common,
        ...required,
        v('words', 'yesterday'),
        v('bad month', '2026-13-01T00:00:00Z'),
        v('no zone', '2026-11-23T10:00:00'),
        ...(opts.futureValid ? [] : [v('far future', '2999-01-01T00:00:00Z')]),
        v('number', 0),
        v('sql', SQLISH[0]),
        ...IMPOSSIBLE_TIMES.map((t) => v(`impossible ${t}`, t)),
      ];
    case 'slug':
      return [...common, ...required, v('sql', 'DROP TABLE'), v('empty', ''), v('upper', 'REFUND'), v('long', 'x'.repeat(100)), v('number', 7)];
    case 'user-id':
      return [...common, ...required, v('empty', ''), v('space', 'a b'), v('too long', 'u'.repeat(65)), v('non-ascii', 'ü'), v('number', 5)];
    case 'object':
      return [...common, ...required];
  }
}

/** Query-string values that are invalid for a parameter of a given kind. */
export function hostileQueryValuesFor(kind: 'int' | 'offset' | 'enum' | 'uuid' | 'time' | 'cursor' | 'user-id' | 'slug' | 'tz' | 'bool'): string[] {
  const sql = SQLISH;
  switch (kind) {
    case 'int':
      return ['', '-1', '0', '1.5', '1e3', 'abc', '99999999999999999999', '9223372036854775808', '2147483648', 'NaN', 'Infinity', '0x10', ' 5', ...sql];
    case 'offset':
      return ['', '-1', '1.5', '1e3', 'abc', '99999999999999999999', '9223372036854775808', 'NaN', ...sql];
    case 'enum':
      return ['', 'nope', 'ACTIVE', ...sql];
    case 'uuid':
      return ['', 'not-a-uuid', '123', ...sql];
    case 'time':
      return ['', 'yesterday', '2026-13-01T00:00:00Z', '2026-11-23T10:00:00', '1e309', ...IMPOSSIBLE_TIMES, ...sql];
    case 'cursor':
      return [
        '',
        'abc',
        Buffer.from('["x","y"]').toString('base64url'),
        Buffer.from('{}').toString('base64url'),
        ...IMPOSSIBLE_CURSORS,
        ...sql.map((s) => Buffer.from(s).toString('base64url')),
      ];
    case 'user-id':
      return ['', 'a b', 'u'.repeat(65)];
    case 'slug':
      return ['', 'DROP TABLE', 'X'];
    case 'tz':
      return ['', 'Mars/Olympus', "Europe/Berlin'; --", 'x'.repeat(200)];
    case 'bool':
      return ['', 'maybe', '2'];
  }
}
