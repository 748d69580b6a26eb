import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { DEFAULT_JWT_MAX_LIFETIME_SECONDS, issueToken, USER_ID_PATTERN } from '@chat-ledger/platform';
import { devJwtSecret } from '../stack/dev-secret';

/**
 * `npm run token -- --user alice [--scope "tokens:adjust outbox:admin"] [--ttl 3600] [--org acme] [--project web]`
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
    process.stderr.write(
      'usage: npm run token -- --user <id, 1-64 printable chars> [--scope "a b"] [--ttl seconds] [--org <org id>] [--project <project id>]\n',
    );
    process.exit(2);
  }
  for (const claim of ['org', 'project'] as const) {
    const value = values[claim];
    if (value !== undefined && !USER_ID_PATTERN.test(value)) {
      process.stderr.write(`--${claim} must be 1 to 64 printable characters without spaces\n`);
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
  process.stdout.write((await issueToken({ userId: values.user, scopes, ttlSeconds: ttl, orgId: values.org, projectId: values.project }, secret)) + '\n');
}

void main();
