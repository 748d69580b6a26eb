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

  describe('a renamed key (kept for one minor version)', () => {
    const renamed = [{ from: 'OLD_PORT', to: 'PORT', since: '0.2.0' }];

    it('is read under its new name, with a warning naming both', () => {
      const warnings: string[] = [];
      const config = loadConfig(Schema, { DATABASE_URL: 'postgres://x', OLD_PORT: '8080' }, { renamed, warn: (w) => warnings.push(w) });
      expect(config.PORT).toBe(8080);
      expect(warnings).toEqual([expect.stringMatching(/^OLD_PORT is deprecated since 0\.2\.0 .* rename it to PORT$/)]);
    });

    it('the new name alone is read without a warning', () => {
      const warnings: string[] = [];
      const config = loadConfig(Schema, { DATABASE_URL: 'postgres://x', PORT: '81' }, { renamed, warn: (w) => warnings.push(w) });
      expect(config.PORT).toBe(81);
      expect(warnings).toEqual([]);
    });

    it('set together with its new name is a configuration error, listed with the others', () => {
      expect(() => loadConfig(Schema, { OLD_PORT: '8080', PORT: '81' }, { renamed, warn: () => undefined })).toThrow(
        expect.objectContaining({
          problems: expect.arrayContaining([expect.stringMatching(/^OLD_PORT: renamed to PORT in 0\.2\.0/), expect.stringMatching(/^DATABASE_URL/)]),
        }),
      );
    });

    it('is invalid under its new name’s rules', () => {
      expect(() => loadConfig(Schema, { DATABASE_URL: 'postgres://x', OLD_PORT: 'eighty' }, { renamed, warn: () => undefined })).toThrow(/PORT/);
    });
  });
});
