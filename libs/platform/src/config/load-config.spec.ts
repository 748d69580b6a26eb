import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsBoolean, IsInt, IsOptional, IsString, Min, MinLength } from 'class-validator';
import { EnvSecret, secretKeysOf } from './env-secret';
import { EnvBool, EnvDurationMs, EnvInt } from './env-transforms';
import { ConfigValidationError, loadConfig } from './load-config';

class Schema {
  @EnvInt() @IsInt() @Min(1) PORT = 3000;
  @IsString() DATABASE_URL!: string;
  @EnvBool() @IsBoolean() ENABLED = true;
  @EnvDurationMs() @IsInt() RETENTION = 1000;
}

/** A mixin-composed schema as the apps build theirs: secrets declared in the base and in the app's own class. */
function WithSigningKey<T extends new (...args: any[]) => object>(Base: T) {
  class SigningKey extends Base {
    @EnvSecret() @IsString() @MinLength(8) SIGNING_KEY!: string;
  }
  return SigningKey;
}
class SecretSchema extends WithSigningKey(class {}) {
  @EnvSecret() @IsString() DATABASE_URL!: string;
  @EnvSecret() @IsOptional() @IsString() BROKER_PASSWORD?: string;
  @IsOptional() @IsString() LOG_LEVEL?: string;
}

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
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

describe('loadConfig: secrets from files (<KEY>_FILE)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'load-config-'));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('knows the secret keys of every class of a composed schema', () => {
    expect(secretKeysOf(SecretSchema).sort()).toEqual(['BROKER_PASSWORD', 'DATABASE_URL', 'SIGNING_KEY']);
    expect(secretKeysOf(Schema)).toEqual([]);
  });

  it('reads each secret key from <KEY>_FILE, trailing line breaks trimmed, inner ones and spaces kept', () => {
    const config = loadConfig(SecretSchema, {
      SIGNING_KEY_FILE: file('signing', 'a very long key\n'),
      DATABASE_URL_FILE: file('url', 'postgres://u:p@db/x\r\n'),
      BROKER_PASSWORD_FILE: file('broker', ' two\nlines \n\n'),
    });
    expect(config).toMatchObject({ SIGNING_KEY: 'a very long key', DATABASE_URL: 'postgres://u:p@db/x', BROKER_PASSWORD: ' two\nlines ' });
    expect(config).not.toHaveProperty('SIGNING_KEY_FILE');
  });

  it('validates a value read from a file like one from the environment', () => {
    expect(problemsOf(() => loadConfig(SecretSchema, { SIGNING_KEY_FILE: file('short', 'short\n'), DATABASE_URL: 'postgres://x' }))).toEqual([
      'SIGNING_KEY: SIGNING_KEY must be longer than or equal to 8 characters',
    ]);
    // An empty file is a missing value.
    expect(problemsOf(() => loadConfig(SecretSchema, { SIGNING_KEY: 'long enough', DATABASE_URL_FILE: file('empty', '\n') }))).toEqual([
      'DATABASE_URL: DATABASE_URL must be a string',
    ]);
  });

  it('refuses a key given both ways, and an unreadable file, listed with every other problem', () => {
    const problems = problemsOf(() =>
      loadConfig(SecretSchema, {
        SIGNING_KEY: 'from the environment',
        SIGNING_KEY_FILE: file('both', 'from the file'),
        DATABASE_URL_FILE: join(dir, 'missing'),
        BROKER_PASSWORD: 'p',
        LOG_LEVEL_FILE: file('level', 'debug'),
      }),
    );
    expect(problems.sort()).toEqual([
      'DATABASE_URL_FILE: DATABASE_URL_FILE cannot be read (ENOENT)',
      'SIGNING_KEY: set SIGNING_KEY or SIGNING_KEY_FILE, not both',
    ]);
  });

  it('reads no file for a key that is not a secret (LOG_LEVEL_FILE is an unknown key, ignored like any other)', () => {
    const config = loadConfig(SecretSchema, { SIGNING_KEY: 'long enough', DATABASE_URL: 'postgres://x', LOG_LEVEL_FILE: file('lvl', 'debug') });
    expect(config.LOG_LEVEL).toBeUndefined();
  });
});
