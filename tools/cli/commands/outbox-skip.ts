import { SkipOutboxDto } from '@chat-ledger/outbox';
import type { CliCommand } from '../cli-command';
import { cliActor, runOutboxAdmin, validateDto } from './outbox-admin-cli';

/** `npm run cli -- outbox:skip <id> --reason "…"`: POST /v1/admin/outbox/:id/skip (give up on a dead row, audited). */
export const outboxSkipCommand: CliCommand<{ reason?: string }> = {
  name: 'outbox:skip',
  summary: 'give up on a dead outbox row for good (audited with the reason); the later rows of its user are published',
  define: (command) =>
    command
      .argument('<id>', 'the outbox row id (see outbox:list --status dead)')
      .option('--reason <text>', 'why (3-500 characters; kept in outbox.skips with who did it)'),
  async run({ args, options }, env) {
    const [id] = args;
    if (!id || !/^[1-9]\d{0,17}$/.test(id)) {
      env.err('usage: outbox:skip <id> --reason "…"   (id: a positive integer, see outbox:list --status dead)');
      return 2;
    }
    return runOutboxAdmin(env, 'outbox:skip', async (service) => {
      const dto = validateDto(SkipOutboxDto, { reason: options.reason });
      const { skip_id, row } = await service.skip(cliActor(), id, dto);
      env.out(`outbox row ${row.id} (event ${row.event_id}, user ${row.user_id}) is skipped (skip ${skip_id}); the user's later rows go on`);
      return 0;
    });
  },
};
