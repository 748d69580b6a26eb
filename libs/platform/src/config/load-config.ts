import { readFileSync } from 'node:fs';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { secretKeysOf } from './env-secret';

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const key = `${prefix}${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((problem) => `${key}: ${problem}`);
    return [...own, ...flatten(error.children ?? [], `${key}.`)];
  });
}

/** The suffix of a secret key's file variant: `JWT_SECRET_FILE=/run/secrets/jwt`. */
export const SECRET_FILE_SUFFIX = '_FILE';

/**
 * Replaces each secret key given as `<KEY>_FILE` by the file's content (trailing line breaks trimmed: editors and
 * `echo` add one). Both forms at once is a problem, not a precedence rule: one of them is a leftover.
 */
function readSecretFiles(schema: new () => object, env: Record<string, string>, problems: string[]): Record<string, string> {
  const resolved = { ...env };
  for (const key of secretKeysOf(schema)) {
    const fileKey = `${key}${SECRET_FILE_SUFFIX}`;
    const path = env[fileKey];
    delete resolved[fileKey];
    if (path === undefined) continue;
    if (env[key] !== undefined) {
      problems.push(`${key}: set ${key} or ${fileKey}, not both`);
      continue;
    }
    try {
      resolved[key] = readFileSync(path, 'utf8').replace(/[\r\n]+$/, '');
    } catch (error) {
      problems.push(`${fileKey}: ${fileKey} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  return Object.fromEntries(Object.entries(resolved).filter(([, value]) => value !== ''));
}

/**
 * Reads one app's environment into its typed schema. Every bad key is reported at once so an
 * operator fixes a deployment in one go instead of one restart per typo. Secret keys (`@EnvSecret()`) may come
 * from files (`<KEY>_FILE`).
 */
export function loadConfig<T extends object>(schema: new () => T, env: Record<string, string | undefined>): T {
  const present = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
  const problems: string[] = [];
  const values = readSecretFiles(schema, present, problems);
  const config = plainToInstance(schema, values, { exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: true, forbidUnknownValues: true });
  // A key whose file could not be read is reported once, as the file's problem, not again as missing.
  const failedKeys = new Set(problems.map((p) => p.split(':')[0]!.replace(new RegExp(`${SECRET_FILE_SUFFIX}$`), '')));
  problems.push(...flatten(errors).filter((p) => !failedKeys.has(p.split(':')[0]!)));
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return config;
}
