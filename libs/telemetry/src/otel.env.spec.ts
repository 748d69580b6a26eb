import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { parseKeyValueList, readOtelSettings, tracingEnabled, WithOtelEnv } from './otel.env';

class AppEnv extends WithOtelEnv(class {}, { serviceName: 'some-app' }) {}

function load(env: Record<string, string>) {
  const config = plainToInstance(AppEnv, env, { exposeDefaultValues: true });
  const problems = validateSync(config, { whitelist: true, forbidUnknownValues: true }).map((e) => e.property);
  return { config, problems };
}

describe('WithOtelEnv', () => {
  it('defaults: tracing off, the app as service name, protobuf, parent-based always-on sampling, 5 s export interval', () => {
    const { config, problems } = load({});
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      OTEL_SDK_DISABLED: false,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TIMEOUT: 10_000,
      OTEL_SERVICE_NAME: 'some-app',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
      OTEL_TRACES_SAMPLER_ARG: 1,
      OTEL_BSP_SCHEDULE_DELAY: 5_000,
      OTEL_BSP_MAX_QUEUE_SIZE: 2_048,
    });
    expect(tracingEnabled(config)).toBe(false);
  });

  it('turns tracing on with an endpoint, unless OTEL_SDK_DISABLED', () => {
    expect(tracingEnabled(load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).config)).toBe(true);
    expect(tracingEnabled(load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).config)).toBe(false);
  });

  it('names every bad key', () => {
    const { problems } = load({
      OTEL_SDK_DISABLED: 'maybe',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign',
      OTEL_EXPORTER_OTLP_TIMEOUT: '10s',
      OTEL_SERVICE_NAME: 'has space',
      OTEL_RESOURCE_ATTRIBUTES: '=x',
      OTEL_TRACES_SAMPLER: 'sometimes',
      OTEL_TRACES_SAMPLER_ARG: '1.5',
      OTEL_BSP_SCHEDULE_DELAY: '0',
      OTEL_BSP_MAX_QUEUE_SIZE: 'many',
    });
    expect(problems.sort()).toEqual([
      'OTEL_BSP_MAX_QUEUE_SIZE',
      'OTEL_BSP_SCHEDULE_DELAY',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_HEADERS',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_EXPORTER_OTLP_TIMEOUT',
      'OTEL_RESOURCE_ATTRIBUTES',
      'OTEL_SDK_DISABLED',
      'OTEL_SERVICE_NAME',
      'OTEL_TRACES_SAMPLER',
      'OTEL_TRACES_SAMPLER_ARG',
    ]);
  });

  it('readOtelSettings reads the OTEL_* keys alone, and gives up (tracing off) on a bad one', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_SAMPLER_ARG: '0.25', DATABASE_URL: 'not checked here' };
    expect(readOtelSettings(env, { serviceName: 'x' })).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_TRACES_SAMPLER_ARG: 0.25,
      OTEL_SERVICE_NAME: 'x',
    });
    expect(readOtelSettings({ ...env, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, { serviceName: 'x' })).toBeUndefined();
  });

  it('parses key=value lists with percent-encoded values', () => {
    expect(parseKeyValueList(' api-key = abc , team=ledger%20ops,broken, =x')).toEqual({ 'api-key': 'abc', team: 'ledger ops' });
    expect(parseKeyValueList(undefined)).toEqual({});
  });
});
