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

/** A configuration key renamed in a minor release (`since`): the old name keeps working until the next one. */
export interface RenamedEnvKey {
  from: string;
  to: string;
  since: string;
}

/**
 * The keys renamed within the current major version, oldest first. A rename keeps the old key for one minor
 * version with a warning at boot (docs/compatibility.md); the release after removes its line here.
 */
export const RENAMED_ENV_KEYS: readonly RenamedEnvKey[] = [];

export interface LoadConfigOptions {
  renamed?: readonly RenamedEnvKey[];
  /** Where deprecation warnings go; Node's process warnings by default (printed once to stderr). */
  warn?: (message: string) => void;
}

const present = (value: string | undefined): value is string => value !== undefined && value !== '';

/** The environment with renamed keys read under their new names, the warnings to give, and the conflicts. */
function applyRenames(env: Record<string, string | undefined>, renamed: readonly RenamedEnvKey[]) {
  const out = { ...env };
  const warnings: string[] = [];
  const problems: string[] = [];
  for (const { from, to, since } of renamed) {
    if (!present(env[from])) continue;
    if (present(env[to])) {
      problems.push(`${from}: renamed to ${to} in ${since}; both are set, keep only ${to}`);
      continue;
    }
    out[to] = env[from];
    delete out[from];
    warnings.push(`${from} is deprecated since ${since} and will stop working in the next minor version: rename it to ${to}`);
  }
  return { env: out, warnings, problems };
}

/**
 * Reads one app's environment into its typed schema. Every bad key is reported at once so an
 * operator fixes a deployment in one go instead of one restart per typo. Secret keys (`@EnvSecret()`) may come
 * from files (`<KEY>_FILE`).
 */
export function loadConfig<T extends object>(schema: new () => T, env: Record<string, string | undefined>, options: LoadConfigOptions = {}): T {
  const renames = applyRenames(env, options.renamed ?? RENAMED_ENV_KEYS);
  const given = Object.fromEntries(Object.entries(renames.env).filter((entry): entry is [string, string] => present(entry[1])));
  const problems: string[] = [...renames.problems];
  const fileProblems: string[] = [];
  const values = readSecretFiles(schema, given, fileProblems);
  problems.push(...fileProblems);
  const config = plainToInstance(schema, values, { exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: true, forbidUnknownValues: true });
  // A key whose file could not be read is reported once, as the file's problem, not again as missing.
  const failedKeys = new Set(fileProblems.map((p) => p.split(':')[0]!.replace(new RegExp(`${SECRET_FILE_SUFFIX}$`), '')));
  problems.push(...flatten(errors).filter((p) => !failedKeys.has(p.split(':')[0]!)));
  if (problems.length > 0) throw new ConfigValidationError(problems);
  const warn = options.warn ?? ((message: string) => process.emitWarning(message, 'DeprecationWarning'));
  for (const warning of renames.warnings) warn(warning);
  return config;
}
