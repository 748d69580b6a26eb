import { parseArgs } from 'node:util';
import { ListOutboxQueryDto } from '@chat-ledger/outbox';
import type { CliCommand } from '../cli-command';
import { intOption, runOutboxAdmin, validateDto } from './outbox-admin-cli';

/** `npm run cli -- outbox:list [--status dead] [--user-id u] [--limit 20] [--sort -id]`: GET /v1/admin/outbox. */
export const outboxListCommand: CliCommand = {
  name: 'outbox:list',
  summary: 'list outbox rows (newest first by default), filtered by status, type, user and creation time',
  usage:
    'outbox:list [--status pending|published|dead] [--event-type t] [--user-id u] [--from ts] [--to ts] [--sort id|-id] [--limit 20] [--cursor c] [--json]',
  async run(argv, env) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          status: { type: 'string' },
          'event-type': { type: 'string' },
          'user-id': { type: 'string' },
          from: { type: 'string' },
          to: { type: 'string' },
          sort: { type: 'string' },
          limit: { type: 'string', default: '20' },
          cursor: { type: 'string' },
          json: { type: 'boolean', default: false },
        },
      }));
    } catch (error) {
      env.err(`outbox:list: ${(error as Error).message}`);
      return 2;
    }
    return runOutboxAdmin(env, 'outbox:list', async (service) => {
      const query = validateDto(ListOutboxQueryDto, {
        status: values.status,
        event_type: values['event-type'],
        user_id: values['user-id'],
        from: values.from,
        to: values.to,
        sort: values.sort,
        limit: intOption(values.limit),
        cursor: values.cursor,
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
