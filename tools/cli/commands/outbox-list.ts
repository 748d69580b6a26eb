import { ListOutboxQueryDto } from '@chat-ledger/outbox';
import type { CliCommand } from '../cli-command';
import { intOption, runOutboxAdmin, validateDto } from './outbox-admin-cli';

type OutboxListOptions = {
  status?: string;
  eventType?: string;
  userId?: string;
  from?: string;
  to?: string;
  sort?: string;
  limit: string;
  cursor?: string;
  held: boolean;
  json: boolean;
};

/** `npm run cli -- outbox:list [--status dead] [--user-id u] [--limit 20] [--sort -id]`: GET /v1/admin/outbox. */
export const outboxListCommand: CliCommand<OutboxListOptions> = {
  name: 'outbox:list',
  summary: 'list outbox rows (newest first by default), filtered by status, type, user and creation time',
  // Values are checked by the HTTP API's DTO (validateDto), so the CLI and the API refuse the same input.
  define: (command) =>
    command
      .option('--status <status>', 'pending, published or dead')
      .option('--event-type <type>', 'event type, e.g. chat.message.recorded')
      .option('--user-id <user>', 'rows of this user (partition key)')
      .option('--from <ts>', 'created at or after (RFC 3339)')
      .option('--to <ts>', 'created before (RFC 3339)')
      .option('--sort <order>', 'id or -id (default -id: newest first)')
      .option('--limit <n>', 'rows per page (1-500)', '20')
      .option('--cursor <cursor>', 'the next page, as printed by the previous one')
      .option('--held', 'only pending rows held back behind a dead or retrying row of their user', false)
      .option('--json', 'print the page as JSON', false),
  async run({ options: values }, env) {
    return runOutboxAdmin(env, 'outbox:list', async (service) => {
      const query = validateDto(ListOutboxQueryDto, {
        status: values.status,
        event_type: values.eventType,
        user_id: values.userId,
        from: values.from,
        to: values.to,
        sort: values.sort,
        limit: intOption(values.limit),
        cursor: values.cursor,
        held: values.held ? 'true' : undefined,
      });
      const page = await service.list(query);
      if (values.json) {
        env.out(JSON.stringify(page, null, 2));
        return 0;
      }
      env.out(['id'.padStart(10), 'status'.padEnd(9), 'att', 'event_type'.padEnd(24), 'user_id'.padEnd(20), 'created_at'.padEnd(27), 'last_error'].join('  '));
      for (const r of page.list) {
        env.out(
          [
            String(r.id).padStart(10),
            r.status.padEnd(9),
            String(r.attempts).padStart(3),
            r.event_type.padEnd(24),
            r.user_id.padEnd(20),
            r.created_at.padEnd(27),
            (r.last_error ?? '').replace(/\s+/g, ' ').slice(0, 80),
          ].join('  '),
        );
      }
      env.out(page.list.length === 0 ? '(no rows)' : page.next_cursor ? `more: --cursor ${page.next_cursor}` : '(end)');
      return 0;
    });
  },
};
