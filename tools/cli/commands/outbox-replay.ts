import { ReplayOutboxDto } from '@chat-ledger/outbox';
import { collect, type CliCommand } from '../cli-command';
import { cliActor, intOption, runOutboxAdmin, validateDto } from './outbox-admin-cli';

type OutboxReplayOptions = { fromId?: string; toId?: string; from?: string; to?: string; eventType?: string[]; userId?: string[]; dryRun: boolean };

/**
 * `npm run cli -- outbox:replay [--from-id N] [--to-id N] [--from ts] [--to ts] [--event-type t]… [--user-id u]… [--dry-run]`:
 * POST /v1/admin/outbox/replay, recorded with actor `cli:<os user>`.
 */
export const outboxReplayCommand: CliCommand<OutboxReplayOptions> = {
  name: 'outbox:replay',
  summary: 're-publish retained outbox rows (original event ids and payloads) matching all given filters; --dry-run only counts',
  define: (command) =>
    command
      .option('--from-id <n>', 'lowest outbox id')
      .option('--to-id <n>', 'highest outbox id')
      .option('--from <ts>', 'created at or after (RFC 3339)')
      .option('--to <ts>', 'created before (RFC 3339)')
      .option('--event-type <type>', 'an event type; repeat for several', collect)
      .option('--user-id <user>', 'a user; repeat for several', collect)
      .option('--dry-run', 'only count the matching rows', false),
  async run({ options: values }, env) {
    return runOutboxAdmin(env, 'outbox:replay', async (service) => {
      const dto = validateDto(ReplayOutboxDto, {
        from_id: intOption(values.fromId),
        to_id: intOption(values.toId),
        from: values.from,
        to: values.to,
        event_types: values.eventType,
        user_ids: values.userId,
        dry_run: values.dryRun,
      });
      const actor = cliActor();
      const result = await service.replay(actor, dto);
      env.out(
        result.dry_run
          ? `dry run: ${result.matched} rows would be published again (nothing changed)`
          : `replay ${result.replay_id} by ${actor}: ${result.matched} rows set back to pending; the relay publishes them again`,
      );
      return 0;
    });
  },
};
