import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** OTLP span kinds (the wire values; @opentelemetry/api's SpanKind is these minus one). */
export const OtlpSpanKind = { unspecified: 0, internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

export type AttributeValue = string | number | boolean | AttributeValue[] | null;

/** One received span, flattened: the resource's service name and the fields tests look at. */
export interface ReceivedSpan {
  service: string;
  /** The resource's attributes (service.name among them). */
  resource: Record<string, AttributeValue>;
  scope: string;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, AttributeValue>;
  links: Array<{ traceId: string; spanId: string }>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  /** How it arrived: 'http/protobuf' or 'http/json'. */
  protocol: 'http/protobuf' | 'http/json';
}

/**
 * An OTLP/HTTP trace receiver for tests: accepts POST /v1/traces in protobuf (application/x-protobuf) and JSON
 * (application/json), gzip or not, as a collector does, and keeps every span. The protobuf side decodes the
 * fields of opentelemetry/proto/trace/v1/trace.proto that tests look at, by field number, and skips the rest.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Requests it could not decode (a test should expect none). */
  readonly rejected: string[] = [];
  /** The headers of every export request, in arrival order. */
  readonly requests: Array<Record<string, string | string[] | undefined>> = [];

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<OtlpReceiver> {
    let receiver: OtlpReceiver | undefined;
    const server = createServer((req, res) => {
      void readBody(req).then((body) => {
        const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
        if (req.method !== 'POST' || req.url !== '/v1/traces') {
          res.writeHead(404).end();
          return;
        }
        receiver!.requests.push(req.headers);
        try {
          const raw = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
          if (type === 'application/x-protobuf') {
            receiver!.spans.push(...decodeProtobufRequest(raw));
            res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
          } else if (type === 'application/json') {
            receiver!.spans.push(...decodeJsonRequest(JSON.parse(raw.toString('utf8'))));
            res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
          } else {
            receiver!.rejected.push(`content-type ${type}`);
            res.writeHead(415).end();
          }
        } catch (error) {
          receiver!.rejected.push((error as Error).message);
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new OtlpReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return receiver;
  }

  /** Spans of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// ---- OTLP/JSON ---------------------------------------------------------------------------------------------

function jsonValue(value: any): AttributeValue {
  if (!value) return null;
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return value.doubleValue;
  if ('arrayValue' in value) return (value.arrayValue.values ?? []).map(jsonValue);
  return null;
}

function jsonAttributes(list: any[] | undefined): Record<string, AttributeValue> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, jsonValue(kv.value)]));
}

export function decodeJsonRequest(body: any): ReceivedSpan[] {
  return (body.resourceSpans ?? []).flatMap((rs: any) => {
    const resource = jsonAttributes(rs.resource?.attributes);
    const service = String(resource['service.name'] ?? '');
    return (rs.scopeSpans ?? []).flatMap((ss: any) =>
      (ss.spans ?? []).map((span: any): ReceivedSpan => ({
        service,
        resource,
        scope: ss.scope?.name ?? '',
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: span.kind ?? 0,
        attributes: jsonAttributes(span.attributes),
        links: (span.links ?? []).map((l: any) => ({ traceId: l.traceId, spanId: l.spanId })),
        statusCode: span.status?.code ?? 0,
        protocol: 'http/json',
      })),
    );
  });
}

// ---- OTLP/protobuf -----------------------------------------------------------------------------------------

/** Protobuf wire format: a message as its fields, in order (varints as bigint, length-delimited as bytes). */
type Field = { field: number; varint?: bigint; bytes?: Buffer; fixed64?: Buffer };

function fieldsOf(buf: Buffer): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (pos >= buf.length) throw new Error('protobuf: truncated varint');
      const byte = buf[pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (pos < buf.length) {
    const tag = Number(varint());
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) fields.push({ field, varint: varint() });
    else if (wire === 1) {
      fields.push({ field, fixed64: buf.subarray(pos, pos + 8) });
      pos += 8;
    } else if (wire === 2) {
      const length = Number(varint());
      if (pos + length > buf.length) throw new Error('protobuf: truncated field');
      fields.push({ field, bytes: buf.subarray(pos, pos + length) });
      pos += length;
    } else if (wire === 5) pos += 4;
    else throw new Error(`protobuf: unsupported wire type ${wire}`);
  }
  return fields;
}

const all = (fields: Field[], n: number) => fields.filter((f) => f.field === n);
const bytesOf = (fields: Field[], n: number) => all(fields, n)[0]?.bytes;
const textOf = (fields: Field[], n: number) => bytesOf(fields, n)?.toString('utf8') ?? '';
const hexOf = (fields: Field[], n: number) => bytesOf(fields, n)?.toString('hex') ?? '';
const intOf = (fields: Field[], n: number) => Number(all(fields, n)[0]?.varint ?? 0n);

/** AnyValue: 1 string, 2 bool, 3 int64, 4 double, 5 ArrayValue (1 repeated AnyValue). */
function protobufValue(buf: Buffer | undefined): AttributeValue {
  if (!buf) return null;
  const [f] = fieldsOf(buf);
  if (!f) return null;
  if (f.field === 1) return f.bytes!.toString('utf8');
  if (f.field === 2) return f.varint !== 0n;
  if (f.field === 3) return Number(BigInt.asIntN(64, f.varint!));
  if (f.field === 4) return f.fixed64!.readDoubleLE(0);
  if (f.field === 5) return all(fieldsOf(f.bytes!), 1).map((v) => protobufValue(v.bytes));
  return null;
}

/** repeated KeyValue (1 key, 2 value). */
function protobufAttributes(fields: Field[], n: number): Record<string, AttributeValue> {
  return Object.fromEntries(
    all(fields, n).map((kv) => {
      const inner = fieldsOf(kv.bytes!);
      return [textOf(inner, 1), protobufValue(bytesOf(inner, 2))];
    }),
  );
}

/**
 * ExportTraceServiceRequest: 1 ResourceSpans (1 Resource {1 attributes}, 2 ScopeSpans {1 scope {1 name}, 2 Span}).
 * Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 9 attributes, 13 Link {1 trace_id, 2 span_id},
 * 15 Status {3 code}.
 */
export function decodeProtobufRequest(buf: Buffer): ReceivedSpan[] {
  return all(fieldsOf(buf), 1).flatMap((rs) => {
    const resourceSpans = fieldsOf(rs.bytes!);
    const resourceBytes = bytesOf(resourceSpans, 1);
    const resource = protobufAttributes(resourceBytes ? fieldsOf(resourceBytes) : [], 1);
    const service = String(resource['service.name'] ?? '');
    return all(resourceSpans, 2).flatMap((ss) => {
      const scopeSpans = fieldsOf(ss.bytes!);
      const scope = bytesOf(scopeSpans, 1);
      const scopeName = scope ? textOf(fieldsOf(scope), 1) : '';
      return all(scopeSpans, 2).map((s): ReceivedSpan => {
        const span = fieldsOf(s.bytes!);
        const status = bytesOf(span, 15);
        return {
          service,
          resource,
          scope: scopeName,
          traceId: hexOf(span, 1),
          spanId: hexOf(span, 2),
          parentSpanId: hexOf(span, 4),
          name: textOf(span, 5),
          kind: intOf(span, 6),
          attributes: protobufAttributes(span, 9),
          links: all(span, 13).map((l) => {
            const link = fieldsOf(l.bytes!);
            return { traceId: hexOf(link, 1), spanId: hexOf(link, 2) };
          }),
          statusCode: status ? intOf(fieldsOf(status), 3) : 0,
          protocol: 'http/protobuf',
        };
      });
    });
  });
}
