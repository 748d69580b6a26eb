import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { DEFAULT_JWT_MAX_LIFETIME_SECONDS, issueToken, USER_ID_PATTERN } from '@chat-ledger/platform';
import { devJwtSecret } from '../stack/dev-secret';

/**
 * `npm run token -- --user alice [--scope "tokens:adjust outbox:admin"] [--ttl 3600] [--org acme] [--project p1]`
 * Signs a development token with JWT_SECRET, or with the secret `npm start` keeps in DATA_DIR.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      user: { type: 'string' },
      scope: { type: 'string', default: '' },
      ttl: { type: 'string', default: '86400' },
      org: { type: 'string' },
      project: { type: 'string' },
    },
  });
  if (!values.user || !USER_ID_PATTERN.test(values.user)) {
    process.stderr.write('usage: npm run token -- --user <id, 1-64 printable chars> [--scope "a b"] [--ttl seconds] [--org id] [--project id]\n');
    process.exit(2);
  }
  for (const [flag, value] of [
    ['--org', values.org],
    ['--project', values.project],
  ] as const) {
    if (value !== undefined && !USER_ID_PATTERN.test(value)) {
      process.stderr.write(`${flag} must be an id of 1-64 printable characters\n`);
      process.exit(2);
    }
  }
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) {
    process.stderr.write('--ttl must be a positive number of seconds\n');
    process.exit(2);
  }
  // A dev tool: it reads its two keys straight from the environment (no config class).
  const env = process.env;
  const secret = devJwtSecret(resolve(env.DATA_DIR ?? '.data'), env.JWT_SECRET);
  const scopes = (values.scope ?? '').split(/\s+/).filter(Boolean);
  if (ttl > DEFAULT_JWT_MAX_LIFETIME_SECONDS) {
    process.stderr.write(`note: the apps refuse tokens that live longer than JWT_MAX_LIFETIME (default ${DEFAULT_JWT_MAX_LIFETIME_SECONDS} s)\n`);
  }
  const token = await issueToken({ userId: values.user, scopes, ttlSeconds: ttl, orgId: values.org, projectId: values.project }, secret);
  process.stdout.write(token + '\n');
}

void main();
