import { IsInt, Max, Min } from 'class-validator';
import { EnvDurationMs, EnvInt } from './env-transforms';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type EnvClass = new (...args: any[]) => object;

/**
 * How an app sweeps its retention windows (the windows themselves are the app's own keys): every
 * RETENTION_INTERVAL, RETENTION_BATCH_SIZE rows per statement, each batch its own short transaction. A schema
 * piece (a mixin like WithJwtEnv), so the gateway and the ledger-consumer read the two keys the same way.
 */
export function WithRetentionSweepEnv<TBase extends EnvClass>(Base: TBase) {
  class RetentionSweepEnvKeys extends Base {
    /** Period of the retention sweeps. */
    @EnvDurationMs()
    @IsInt({ message: 'RETENTION_INTERVAL must be a duration such as 1m' })
    @Min(1000)
    RETENTION_INTERVAL = 60_000;

    /** Rows per retention statement (and per fold transaction in the ledger). */
    @EnvInt()
    @IsInt()
    @Min(1)
    @Max(100_000)
    RETENTION_BATCH_SIZE = 1_000;
  }
  return RetentionSweepEnvKeys;
}
