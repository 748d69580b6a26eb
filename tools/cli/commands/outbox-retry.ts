import type { CliCommand } from '../cli-command';
import { cliActor, runOutboxAdmin } from './outbox-admin-cli';

/** `npm run cli -- outbox:retry <id>`: POST /v1/admin/outbox/:id/retry (a dead row back to pending). */
export const outboxRetryCommand: CliCommand = {
  name: 'outbox:retry',
  summary: 'move a dead outbox row back to pending (fresh attempts); it and the rows it held back are then published',
  define: (command) => command.argument('<id>', 'the outbox row id (see outbox:list --status dead)'),
  async run({ args }, env) {
    const [id] = args;
    if (!id || !/^[1-9]\d{0,17}$/.test(id)) {
      env.err('usage: outbox:retry <id>   (id: a positive integer, see outbox:list --status dead)');
      return 2;
    }
    return runOutboxAdmin(env, 'outbox:retry', async (service) => {
      const row = await service.retry(cliActor(), id);
      env.out(`outbox row ${row.id} (event ${row.event_id}, user ${row.user_id}) is pending again; last error was: ${row.last_error ?? '-'}`);
      return 0;
    });
  },
};
