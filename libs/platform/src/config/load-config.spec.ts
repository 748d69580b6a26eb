import { IsBoolean, IsInt, IsString, Min } from 'class-validator';
import { EnvBool, EnvDurationMs, EnvInt } from './env-transforms';
import { ConfigValidationError, loadConfig } from './load-config';

class Schema {
  @EnvInt() @IsInt() @Min(1) PORT = 3000;
  @IsString() DATABASE_URL!: string;
  @EnvBool() @IsBoolean() ENABLED = true;
  @EnvDurationMs() @IsInt() RETENTION = 1000;
}

describe('loadConfig', () => {
  it('applies defaults and converts types', () => {
    const config = loadConfig(Schema, { DATABASE_URL: 'postgres://x', ENABLED: 'false', RETENTION: '7d', UNRELATED: 'x' });
    expect(config).toMatchObject({ PORT: 3000, DATABASE_URL: 'postgres://x', ENABLED: false, RETENTION: 7 * 86_400_000 });
  });

  it('lists every bad key at once', () => {
    let error: unknown;
    try {
      loadConfig(Schema, { PORT: 'eighty', ENABLED: 'maybe', RETENTION: 'soon' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const keys = (error as ConfigValidationError).problems.map((p) => p.split(':')[0]);
    expect(keys).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'ENABLED', 'RETENTION']));
  });
});
