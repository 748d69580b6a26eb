import { userInfo } from 'node:os';
import { Logger } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@chat-ledger/database';
import { DomainError, ErrorCode } from '@chat-ledger/platform';
import { OUTBOX_SCHEMA, OutboxAdminRepository, OutboxAdminService } from '@chat-ledger/outbox';
import type { CliEnv } from '../cli-command';

/**
 * Shared by the outbox:* commands: the outbox's OutboxAdminService on a plain DataSource, the same DTO
 * validation as the HTTP API, and uniform error output (exit 2 for bad input, 1 for other failures).
 */
export async function runOutboxAdmin(env: CliEnv, name: string, fn: (service: OutboxAdminService) => Promise<number>): Promise<number> {
  // The service's info logs are for servers; the command prints its own result (the audit row is in the database).
  Logger.overrideLogger(['warn', 'error']);
  const dataSource = new DataSource(
    buildDataSourceOptions({ url: env.databaseUrl(), schema: OUTBOX_SCHEMA, names: env.schemaNames(), applicationName: `cli ${name}`, poolSize: 2 }),
  );
  await dataSource.initialize();
  try {
    const [{ present }] = await dataSource.query(`SELECT to_regclass('outbox.replays') IS NOT NULL AS present`);
    if (!present) {
      env.err(`${name}: the outbox schema is missing in this database (start chat-gateway or the outbox relay with DB_MIGRATE=true once)`);
      return 1;
    }
    return await fn(new OutboxAdminService(dataSource, new OutboxAdminRepository()));
  } catch (error) {
    if (error instanceof DomainError) {
      if (error.code !== ErrorCode.ValidationFailed) {
        env.err(`${name}: ${error.message}`);
        return 1;
      }
      env.err(`${name}: invalid options`);
      for (const d of error.details) env.err(`  ${d.field}: ${d.problem}`);
      return 2;
    }
    throw error;
  } finally {
    await dataSource.destroy();
  }
}

function details(errors: ValidationError[], prefix = ''): Array<{ field: string; problem: string }> {
  return errors.flatMap((e) => [
    ...Object.entries(e.constraints ?? {}).map(([rule, problem]) => ({
      field: `${prefix}${e.property}`,
      problem: rule === 'whitelistValidation' ? 'is not an allowed option' : problem.replace(`${e.property} `, ''),
    })),
    ...details(e.children ?? [], `${prefix}${e.property}.`),
  ]);
}

/** The HTTP API's validation rules, applied to CLI options (field names as in the API, e.g. user_id). */
export function validateDto<T extends object>(cls: new () => T, plain: Record<string, unknown>): T {
  const defined = Object.fromEntries(Object.entries(plain).filter(([, v]) => v !== undefined));
  const dto = plainToInstance(cls, defined, { exposeDefaultValues: true });
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length > 0) {
    const list = details(errors);
    throw DomainError.validation(list, 'invalid options');
  }
  return dto;
}

/** Integers stay strings when they do not parse, so validation names the option. */
export function intOption(value: string | undefined): number | string | undefined {
  return value !== undefined && /^-?\d{1,16}$/.test(value) ? Number(value) : value;
}

/** Who replays from the CLI: `cli:<os user>`. */
export function cliActor(): string {
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    name = process.env.USER ?? process.env.USERNAME;
  }
  return `cli:${name || 'unknown'}`.slice(0, 200);
}
