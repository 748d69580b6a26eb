import { parseArgs } from 'node:util';
import { ReplayOutboxDto } from '@chat-ledger/outbox';
import type { CliCommand } from '../cli-command';
import { cliActor, intOption, runOutboxAdmin, validateDto } from './outbox-admin-cli';

/**
 * `npm run cli -- outbox:replay [--from-id N] [--to-id N] [--from ts] [--to ts] [--event-type t]… [--user-id u]… [--dry-run]`:
 * POST /v1/admin/outbox/replay, recorded with actor `cli:<os user>`.
 */
export const outboxReplayCommand: CliCommand = {
  name: 'outbox:replay',
  summary: 're-publish retained outbox rows (original event ids and payloads) matching all given filters; --dry-run only counts',
  usage: 'outbox:replay [--from-id N] [--to-id N] [--from ts] [--to ts] [--event-type t]... [--user-id u]... [--dry-run]',
  async run(argv, env) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          'from-id': { type: 'string' },
          'to-id': { type: 'string' },
          from: { type: 'string' },
          to: { type: 'string' },
          'event-type': { type: 'string', multiple: true },
          'user-id': { type: 'string', multiple: true },
          'dry-run': { type: 'boolean', default: false },
        },
      }));
    } catch (error) {
      env.err(`outbox:replay: ${(error as Error).message}`);
      return 2;
    }
    return runOutboxAdmin(env, 'outbox:replay', async (service) => {
      const dto = validateDto(ReplayOutboxDto, {
        from_id: intOption(values['from-id']),
        to_id: intOption(values['to-id']),
        from: values.from,
        to: values.to,
        event_types: values['event-type'],
        user_ids: values['user-id'],
        dry_run: values['dry-run'],
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
