import { FieldKind, HostileValue, hostileQueryValuesFor, hostileValuesFor } from './hostile-values';
import { SeededRandom } from './seeded-random';

export interface FieldSpec {
  kind: FieldKind;
  required?: boolean;
  maxLength?: number;
  /** Nested object fields (e.g. usage.*). */
  fields?: Record<string, FieldSpec>;
  /** A time field that may lie in the future (a price's effective_from), so a far-future time is no hostile value. */
  futureValid?: boolean;
}

export type QueryKind = Parameters<typeof hostileQueryValuesFor>[0];

export interface EndpointSpec {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with `:param` placeholders filled from `params`. */
  path: string;
  params?: Record<string, string>;
  query?: Record<string, QueryKind>;
  validQuery?: Record<string, string>;
  /** A valid body: each case breaks exactly one thing. */
  body?: () => Record<string, unknown>;
  fields?: Record<string, FieldSpec>;
  headers?: Record<string, string>;
  /** The endpoint honours Idempotency-Key (so a malformed key must be rejected). */
  idempotent?: boolean;
  /** An empty body is a valid request here (every field optional). */
  emptyBodyValid?: boolean;
}

export interface FuzzCase {
  endpoint: string;
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

const BAD_PATH_IDS = [
  'not-a-uuid',
  '123',
  "1' OR '1'='1",
  '%00',
  '..%2F..%2Fetc%2Fpasswd',
  'a'.repeat(300),
  '01a20848-1152-7135-9c0b-7609ced7df8',
  '01a20848-1152-7135-9c0b-7609ced7df88x',
];
const UNKNOWN_KEYS = ['__proto__', 'constructor', 'prototype', 'admin', 'is_admin', '$where', 'user', 'x-extra'];

function fillPath(spec: EndpointSpec, override?: [string, string]): string {
  return spec.path.replace(/:(\w+)/g, (_, name: string) => (override && override[0] === name ? override[1] : spec.params![name]!));
}

function withQuery(path: string, query: Record<string, string>): string {
  const qs = Object.entries(query)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return qs ? `${path}?${qs}` : path;
}

/** Serialises a body where one field (by path) holds a hostile value, raw JSON text allowed. */
function bodyWith(body: Record<string, unknown>, path: string[], hostile: HostileValue): string {
  const marker = '"__FUZZ_RAW__"';
  const copy = structuredClone(body) as Record<string, unknown>;
  let target = copy;
  for (const key of path.slice(0, -1)) {
    if (!target[key] || typeof target[key] !== 'object') target[key] = {};
    target = target[key] as Record<string, unknown>;
  }
  target[path[path.length - 1]!] = hostile.raw !== undefined ? '__FUZZ_RAW__' : hostile.value;
  const text = JSON.stringify(copy);
  return hostile.raw !== undefined ? text.replace(marker, hostile.raw) : text;
}

function fieldPaths(fields: Record<string, FieldSpec>, prefix: string[] = []): Array<[string[], FieldSpec]> {
  return Object.entries(fields).flatMap(([name, spec]) => {
    const path = [...prefix, name];
    return [[path, spec] as [string[], FieldSpec], ...(spec.fields ? fieldPaths(spec.fields, path) : [])];
  });
}

/**
 * Generates invalid requests for one endpoint: every field with every hostile value of its kind,
 * missing required fields, unknown and forbidden keys, broken JSON and encodings, wrong content
 * types, oversized bodies, bad path ids and hostile query values. `extra` adds random
 * combinations (several fields broken at once) from the seeded generator.
 */
export function generateFuzzCases(spec: EndpointSpec, opts: { random: SeededRandom; bodyLimitBytes: number; extra?: number }): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const json = { 'content-type': 'application/json', ...(spec.headers ?? {}) };
  const basePath = withQuery(fillPath(spec), spec.validQuery ?? {});
  const add = (label: string, path: string, body?: string | Buffer, headers: Record<string, string> = json) =>
    cases.push({ endpoint: spec.name, label, method: spec.method, path, headers, body });

  for (const name of Object.keys(spec.params ?? {})) {
    for (const bad of BAD_PATH_IDS)
      add(
        `path ${name}=${bad.slice(0, 40)}`,
        withQuery(fillPath(spec, [name, bad]), spec.validQuery ?? {}),
        spec.body ? JSON.stringify(spec.body()) : undefined,
      );
  }

  for (const [param, kind] of Object.entries(spec.query ?? {})) {
    for (const bad of hostileQueryValuesFor(kind)) {
      add(`query ${param}=${bad.slice(0, 40)}`, withQuery(fillPath(spec), { ...(spec.validQuery ?? {}), [param]: bad }));
    }
    add(`query ${param} twice`, `${basePath}${basePath.includes('?') ? '&' : '?'}${param}=a&${param}=b`);
  }
  if (spec.query) add('unknown query parameter', `${basePath}${basePath.includes('?') ? '&' : '?'}debug=1`);

  if (spec.body && spec.fields) {
    const valid = spec.body();
    for (const [path, field] of fieldPaths(spec.fields)) {
      for (const hostile of hostileValuesFor(field.kind, field)) add(`${path.join('.')} = ${hostile.label}`, basePath, bodyWith(valid, path, hostile));
      if (field.required) {
        const copy = structuredClone(valid) as Record<string, any>;
        let target = copy;
        for (const key of path.slice(0, -1)) target = target[key];
        delete target[path[path.length - 1]!];
        add(`${path.join('.')} missing`, basePath, JSON.stringify(copy));
      }
    }
    for (const key of UNKNOWN_KEYS) {
      const text = JSON.stringify(valid).replace(/^\{/, `{${JSON.stringify(key)}:{"polluted":true},`);
      add(`unknown key ${key}`, basePath, text);
    }
    const text = JSON.stringify(valid);
    add('truncated JSON', basePath, text.slice(0, Math.max(1, Math.floor(text.length / 2))));
    add('JSON array', basePath, `[${text}]`);
    add('JSON string', basePath, '"hello"');
    add('JSON null', basePath, 'null');
    add('JSON number', basePath, '42');
    add('NaN literal', basePath, text.replace(/^\{/, '{"n":NaN,'));
    add('single quotes', basePath, text.replace(/"/g, "'"));
    add('trailing garbage', basePath, `${text}garbage`);
    add('deeply nested JSON', basePath, '['.repeat(3000) + ']'.repeat(3000));
    add('invalid UTF-8', basePath, Buffer.concat([Buffer.from(text.slice(0, -2)), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}')]));
    add('UTF-16 body', basePath, Buffer.from(text, 'utf16le'));
    add('oversized body', basePath, JSON.stringify({ ...valid, padding: 'x'.repeat(opts.bodyLimitBytes) }));
    if (!spec.emptyBodyValid) add('empty body', basePath, '');
    add('text/plain', basePath, text, { ...json, 'content-type': 'text/plain' });
    add('form encoded', basePath, 'role=user&content=x', { ...json, 'content-type': 'application/x-www-form-urlencoded' });
    add('xml', basePath, '<a>1</a>', { ...json, 'content-type': 'application/xml' });
    add('json with unknown charset', basePath, text, { ...json, 'content-type': 'application/json; charset=klingon' });
    if (spec.idempotent) {
      add('Idempotency-Key empty', basePath, text, { ...json, 'idempotency-key': '' });
      add('Idempotency-Key too long', basePath, text, { ...json, 'idempotency-key': 'k'.repeat(300) });
      add('Idempotency-Key with spaces', basePath, text, { ...json, 'idempotency-key': 'a b c' });
    }

    // Random combinations: several fields broken at once.
    const paths = fieldPaths(spec.fields);
    for (let i = 0; i < (opts.extra ?? 0); i++) {
      let body = structuredClone(valid) as Record<string, unknown>;
      const labels: string[] = [];
      const n = 2 + opts.random.int(3);
      for (let j = 0; j < n; j++) {
        const [path, field] = opts.random.pick(paths);
        const hostile = opts.random.pick(hostileValuesFor(field.kind, field).filter((h) => h.raw === undefined));
        body = JSON.parse(bodyWith(body, path, hostile));
        labels.push(`${path.join('.')}=${hostile.label}`);
      }
      add(`combo ${labels.join(', ')}`, basePath, JSON.stringify(body));
    }
  }
  return cases;
}

export async function sendFuzzCase(baseUrl: string, token: string | undefined, c: FuzzCase): Promise<{ status: number; text: string; contentType: string }> {
  const res = await fetch(`${baseUrl}${c.path}`, {
    method: c.method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...c.headers },
    body: c.body === undefined || c.method === 'GET' ? undefined : c.body,
  });
  return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') ?? '' };
}

/**
 * Sends every case, a few at a time (concurrency is part of what is fuzzed), each with its own token, and returns the
 * ones not answered as invalid input should be: a 4xx with the JSON error body `{"error": {code, message, details}}`.
 */
export async function fuzzFailures(baseUrl: string, cases: Array<FuzzCase & { token?: string }>): Promise<string[]> {
  const failures: string[] = [];
  for (let i = 0; i < cases.length; i += 8) {
    await Promise.all(
      cases.slice(i, i + 8).map(async (c) => {
        const res = await sendFuzzCase(baseUrl, c.token, c);
        let body: any;
        try {
          body = JSON.parse(res.text);
        } catch {
          body = undefined;
        }
        const ok =
          res.status >= 400 &&
          res.status < 500 &&
          res.contentType.startsWith('application/json') &&
          typeof body?.error?.code === 'string' &&
          typeof body.error.message === 'string' &&
          Array.isArray(body.error.details);
        if (!ok) failures.push(`${c.endpoint} | ${c.label} → ${res.status} ${res.text.slice(0, 200)}`);
      }),
    );
  }
  return failures;
}
