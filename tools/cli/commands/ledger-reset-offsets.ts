import { createKafka } from '@chat-ledger/kafka';
import { CLI_KAFKA_CLIENT_ID, CliCommand } from '../cli-command';

type ResetOffsetsOptions = { to?: string; toEarliest: boolean; group: string; topic: string; dryRun: boolean };

/** Consumer group states in which the broker lets an admin move the committed offsets. */
const INACTIVE = new Set(['Empty', 'Dead']);

/**
 * `npm run cli -- ledger:reset-offsets --to <time> | --to-earliest [--group ledger-consumer] [--topic token-events] [--dry-run]`:
 * moves the ledger-consumer group's committed offsets back, after PostgreSQL was restored to an earlier point
 * while Kafka kept its offsets (docs/data-lifecycle.md, "Backups and restore"). The consumers then re-read from
 * there: what the restored journal lacks is applied, what it has is skipped by event id. The group must be
 * inactive (every ledger-consumer stopped); the command refuses otherwise. Exit 0 done, 1 refused or failed, 2 bad usage.
 */
export const ledgerResetOffsetsCommand: CliCommand<ResetOffsetsOptions> = {
  name: 'ledger:reset-offsets',
  summary: "move the ledger-consumer group's offsets to a time (--to) or to the oldest retained record (--to-earliest); the group must be stopped",
  define: (command) =>
    command
      .option('--to <time>', 'RFC 3339 time: each partition restarts at its first record at or after it (the restore point)')
      .option('--to-earliest', 'restart every partition at its oldest retained record', false)
      .option('--group <id>', 'the consumer group (KAFKA_GROUP_ID of the ledger-consumers)', 'ledger-consumer')
      .option('--topic <topic>', 'the token events topic (KAFKA_TOPIC)', 'token-events')
      .option('--dry-run', 'print the offsets it would set, change nothing', false),
  async run({ options: o }, env): Promise<number> {
    if ((o.to === undefined) === !o.toEarliest) {
      env.err('ledger:reset-offsets: give exactly one of --to <time> and --to-earliest');
      return 2;
    }
    const at = o.to === undefined ? undefined : Date.parse(o.to);
    if (at !== undefined && (Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}T/.test(o.to!))) {
      env.err(`ledger:reset-offsets: --to must be an RFC 3339 time such as 2026-01-31T12:00:00Z, not ${o.to}`);
      return 2;
    }
    const admin = createKafka(env.kafkaConnection(), { clientId: CLI_KAFKA_CLIENT_ID }).admin();
    await admin.connect();
    try {
      const {
        groups: [group],
      } = await admin.describeGroups([o.group]);
      if (group && !INACTIVE.has(group.state)) {
        env.err(
          `ledger:reset-offsets: consumer group ${o.group} is active (state ${group.state}, ${group.members.length} member(s)): ` +
            'stop every ledger-consumer of the group first, then run this again',
        );
        return 1;
      }
      const ends = await admin.fetchTopicOffsets(o.topic);
      const targets =
        at === undefined
          ? ends.map((p) => ({ partition: p.partition, offset: p.low }))
          : (await admin.fetchTopicOffsetsByTimestamp(o.topic, at)).map((p) => ({
              partition: p.partition,
              // No record at or after the time: the partition's end (nothing to re-read there).
              offset: p.offset === '-1' ? ends.find((e) => e.partition === p.partition)!.high : p.offset,
            }));
      const committed = new Map(
        (await admin.fetchOffsets({ groupId: o.group, topics: [o.topic] })).flatMap((t) => t.partitions.map((p) => [p.partition, p.offset] as const)),
      );
      targets.sort((a, b) => a.partition - b.partition);
      for (const t of targets) {
        const before = committed.get(t.partition) ?? '-1';
        env.out(`partition ${String(t.partition).padStart(3)}  ${before === '-1' ? 'none' : before} -> ${t.offset}`);
      }
      if (o.dryRun) {
        env.out(`ledger:reset-offsets: dry run, nothing changed (${targets.length} partitions of ${o.topic}, group ${o.group})`);
        return 0;
      }
      await admin.setOffsets({ groupId: o.group, topic: o.topic, partitions: targets });
      env.out(
        `ledger:reset-offsets: group ${o.group} restarts ${o.topic} ${at === undefined ? 'at the oldest retained records' : `at ${new Date(at).toISOString()}`}`,
      );
      return 0;
    } finally {
      await admin.disconnect();
    }
  },
};
