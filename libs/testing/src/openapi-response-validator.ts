import Ajv, { ValidateFunction } from 'ajv';

/** The parts of an OpenAPI 3.0 document this validator reads. */
interface Document {
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>;
  components?: { schemas?: Record<string, unknown> };
}

const FORMATS: Record<string, RegExp> = {
  'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
};

/**
 * An OpenAPI 3.0 schema as strict JSON Schema: `nullable` becomes "or null", and an object that lists its
 * properties allows no others, so a field the API returns without documenting it fails like a missing one.
 */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== 'object') return schema;
  const { nullable, example: _example, ...rest } = schema as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (key === 'properties') out[key] = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, strict(v)]));
    else if (key === 'enum' || key === 'required') out[key] = value;
    else out[key] = strict(value);
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return nullable ? { anyOf: [out, { type: 'null' }] } : out;
}

/**
 * Checks API responses against an app's OpenAPI document: the status must be documented for the operation, and a
 * JSON body must match the documented schema (types, formats, enums, required and nullable fields, and no field
 * beyond the documented ones).
 */
export class OpenApiResponseValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly document: Document) {
    this.ajv = new Ajv({ strict: false, allErrors: true });
    for (const [name, regex] of Object.entries(FORMATS)) this.ajv.addFormat(name, regex);
    this.ajv.addSchema({ $id: 'openapi', components: { schemas: strict(document.components?.schemas ?? {}) } });
  }

  /** The path template a concrete path (query ignored) is an instance of, static segments before parameters. */
  templateOf(method: string, url: string): string | undefined {
    const path = url.split('?')[0]!;
    const params = (t: string) => (t.match(/\{/g) ?? []).length;
    return Object.keys(this.document.paths)
      .filter((t) => this.document.paths[t]![method.toLowerCase()])
      .sort((a, b) => params(a) - params(b))
      .find((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
  }

  /** check() for a concrete URL (`/v1/conversations/0190…?limit=5`). */
  checkUrl(method: string, url: string, status: number, contentType: string | null, body: unknown): string[] {
    const template = this.templateOf(method, url);
    return template ? this.check(method, template, status, contentType, body) : [`${method.toUpperCase()} ${url}: no operation in the document`];
  }

  /** Problems with one response; [] when it is as documented. */
  check(method: string, template: string, status: number, contentType: string | null, body: unknown): string[] {
    const id = `${method.toUpperCase()} ${template} → ${status}`;
    const operation = this.document.paths[template]?.[method.toLowerCase()];
    if (!operation) return [`${id}: no such operation in the document`];
    const response = operation.responses?.[String(status)];
    if (!response) return [`${id}: status not documented (documented: ${Object.keys(operation.responses ?? {}).join(', ')})`];
    const type = (contentType ?? '').split(';')[0]!.trim();
    if (!response.content) return body === undefined ? [] : [`${id}: documented without content, answered ${type || 'a body'}`];
    const media = response.content[type];
    if (!media) return [`${id}: answered ${type || 'no content type'}, documented ${Object.keys(response.content).join(', ')}`];
    if (type !== 'application/json' || !media.schema) return [];
    const key = `${method} ${template} ${status}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      // References (#/components/schemas/X) resolve in the schema registered as `openapi`.
      const schema = JSON.parse(JSON.stringify(strict(media.schema)).replaceAll('"#/components/', '"openapi#/components/'));
      validate = this.ajv.compile(schema);
      this.compiled.set(key, validate);
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      (e) => `${id}: body${e.instancePath} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
    );
  }
}
