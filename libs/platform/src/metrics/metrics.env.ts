import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { EnvInt } from '../config/env-transforms';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type EnvClass = new (...args: any[]) => object;

/** Where an app serves GET /metrics (MetricsModule.forRoot({ port, host }) takes these two). */
export interface MetricsSettings {
  METRICS_PORT?: number;
  METRICS_HOST: string;
}

/**
 * METRICS_PORT and METRICS_HOST as a schema piece (a mixin like WithJwtEnv). With METRICS_PORT set, /metrics is
 * served on that port only, apart from the API, so a network policy can keep scrapes and API traffic apart (0 =
 * a free port the OS picks); unset, the API's port serves it. The standalone relay has no API: it serves
 * /metrics and /health only when METRICS_PORT is set.
 */
export function WithMetricsEnv<TBase extends EnvClass>(Base: TBase) {
  class MetricsEnvKeys extends Base implements MetricsSettings {
    @IsOptional()
    @EnvInt()
    @IsInt()
    @Min(0)
    @Max(65535)
    METRICS_PORT?: number;

    @IsString()
    METRICS_HOST = '0.0.0.0';
  }
  return MetricsEnvKeys;
}
