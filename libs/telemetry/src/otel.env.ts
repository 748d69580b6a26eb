import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type EnvClass = new (...args: any[]) => object;

/*
 * The transforms below repeat libs/platform's EnvInt and EnvBool on purpose: this lib is loaded before
 * OpenTelemetry's instrumentations patch http, express, pg and kafkajs, and libs/platform's entry point loads
 * express, so nothing here may import it.
 */
const Int = () => Transform(({ value }) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value));
const Num = () => Transform(({ value }) => (typeof value === 'string' && /^-?(\d+\.?\d*|\.\d+)$/.test(value.trim()) ? Number(value) : value));
const Bool = () =>
  Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    const v = value.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    return value;
  });

export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

export const TRACE_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type TraceSampler = (typeof TRACE_SAMPLERS)[number];

/** `key=value,key=value` (values percent-encoded where needed): OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES. */
const KEY_VALUE_LIST = /^\s*[^\s=,]+\s*=[^,]*(,\s*[^\s=,]+\s*=[^,]*)*$/;

/** What the tracing SDK is started from: the OTEL_* keys of an app's config. */
export interface OtelSettings {
  OTEL_SDK_DISABLED: boolean;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_PROTOCOL: OtlpProtocol;
  OTEL_EXPORTER_OTLP_HEADERS?: string;
  OTEL_EXPORTER_OTLP_TIMEOUT: number;
  OTEL_SERVICE_NAME: string;
  OTEL_RESOURCE_ATTRIBUTES?: string;
  OTEL_TRACES_SAMPLER: TraceSampler;
  OTEL_TRACES_SAMPLER_ARG: number;
  OTEL_BSP_SCHEDULE_DELAY: number;
  OTEL_BSP_MAX_QUEUE_SIZE: number;
}

export interface OtelEnvOptions {
  /** Default of OTEL_SERVICE_NAME for this app. */
  serviceName: string;
}

/**
 * The OpenTelemetry keys as a schema piece for an app's config (a mixin like libs/platform's WithJwtEnv), with the
 * names and meanings of the OpenTelemetry specification's environment variables. Tracing is on when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set (and OTEL_SDK_DISABLED is not true); every key is validated either way.
 */
export function WithOtelEnv<TBase extends EnvClass>(Base: TBase, options: OtelEnvOptions) {
  class OtelEnvKeys extends Base implements OtelSettings {
    /** true turns tracing off even with an endpoint set. */
    @Bool()
    @IsBoolean()
    OTEL_SDK_DISABLED = false;

    /** Base URL of an OTLP/HTTP receiver (a collector); spans go to `<endpoint>/v1/traces`. Unset: no tracing. */
    @IsOptional()
    @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, { message: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL such as http://collector:4318' })
    OTEL_EXPORTER_OTLP_ENDPOINT?: string;

    @IsIn(OTLP_PROTOCOLS, { message: `OTEL_EXPORTER_OTLP_PROTOCOL must be one of ${OTLP_PROTOCOLS.join(', ')} (gRPC is not supported)` })
    OTEL_EXPORTER_OTLP_PROTOCOL: OtlpProtocol = 'http/protobuf';

    /** Sent with every export, e.g. a vendor's API key: `api-key=secret,x-team=ledger`. */
    @IsOptional()
    @Matches(KEY_VALUE_LIST, { message: 'OTEL_EXPORTER_OTLP_HEADERS must be a key=value,key=value list' })
    OTEL_EXPORTER_OTLP_HEADERS?: string;

    /** Upper bound of one export request, in milliseconds. */
    @Int()
    @IsInt()
    @Min(100)
    @Max(120_000)
    OTEL_EXPORTER_OTLP_TIMEOUT = 10_000;

    @IsString()
    @Matches(/^\S{1,255}$/, { message: 'OTEL_SERVICE_NAME must be 1-255 characters without spaces' })
    OTEL_SERVICE_NAME = options.serviceName;

    /** Added to the resource of every span: `deployment.environment.name=prod,service.namespace=chat`. */
    @IsOptional()
    @Matches(KEY_VALUE_LIST, { message: 'OTEL_RESOURCE_ATTRIBUTES must be a key=value,key=value list' })
    OTEL_RESOURCE_ATTRIBUTES?: string;

    @IsIn(TRACE_SAMPLERS, { message: `OTEL_TRACES_SAMPLER must be one of ${TRACE_SAMPLERS.join(', ')}` })
    OTEL_TRACES_SAMPLER: TraceSampler = 'parentbased_always_on';

    /** The ratio of the *traceidratio samplers, 0 to 1. */
    @Num()
    @IsNumber({}, { message: 'OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1' })
    @Min(0)
    @Max(1)
    OTEL_TRACES_SAMPLER_ARG = 1;

    /** Milliseconds between two exports of the finished spans. */
    @Int()
    @IsInt()
    @Min(1)
    @Max(600_000)
    OTEL_BSP_SCHEDULE_DELAY = 5_000;

    /** Finished spans kept for export; beyond it new spans are dropped (never blocking the app). */
    @Int()
    @IsInt()
    @Min(1)
    @Max(1_000_000)
    OTEL_BSP_MAX_QUEUE_SIZE = 2_048;
  }
  return OtelEnvKeys;
}

/** Whether these settings turn tracing on. */
export function tracingEnabled(settings: OtelSettings): boolean {
  return settings.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined && !settings.OTEL_SDK_DISABLED;
}

/**
 * The OTEL_* keys of `env` alone, or undefined when any of them is bad: what startTelemetry reads before the app's
 * config can be loaded (the app's full schema reports every bad key, these among them, right after).
 */
export function readOtelSettings(env: Record<string, string | undefined>, options: OtelEnvOptions): OtelSettings | undefined {
  class OtelOnly extends WithOtelEnv(class {}, options) {}
  const present = Object.fromEntries(Object.entries(env).filter(([key, value]) => key.startsWith('OTEL_') && value !== undefined && value !== ''));
  const settings = plainToInstance(OtelOnly, present, { exposeDefaultValues: true });
  return validateSync(settings, { whitelist: true, forbidUnknownValues: true }).length === 0 ? settings : undefined;
}

/** `a=1, b=x%20y` → `{a: '1', b: 'x y'}` (the format of OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES). */
export function parseKeyValueList(list: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of (list ?? '').split(',')) {
    const at = entry.indexOf('=');
    const key = entry.slice(0, Math.max(0, at)).trim();
    if (!key) continue;
    const raw = entry.slice(at + 1).trim();
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      // not percent-encoded after all: keep it as written
    }
    out[key] = value;
  }
  return out;
}
