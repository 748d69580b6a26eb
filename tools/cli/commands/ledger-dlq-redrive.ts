import { Partitioners } from 'kafkajs';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@chat-ledger/database';
import { createKafka, KAFKA_TOPIC_NAME } from '@chat-ledger/kafka';
import { redriveDeadLetters } from '../../../apps/ledger-consumer/src/index';
import { CLI_KAFKA_CLIENT_ID, CliCommand } from '../cli-command';

type DlqRedriveOptions = { topic?: string; limit?: string; dryRun: boolean };

/**
 * `npm run cli -- ledger:dlq-redrive --topic token-events.dlq [--limit N] [--dry-run]`: publishes the dead
 * letters whose best-effort DLQ copy failed. Exit 0 when every one was published, 1 when some were refused.
 */
export const ledgerDlqRedriveCommand: CliCommand<DlqRedriveOptions> = {
  name: 'ledger:dlq-redrive',
  summary: 'publish dead letters whose DLQ copy failed (dlq_published_at null) to the DLQ topic; --dry-run counts them',
  define: (command) =>
    command
      .option('--topic <dlq topic>', 'the DLQ topic (KAFKA_DLQ_TOPIC of the ledger-consumer)')
      .option('--limit <n>', 'publish at most this many')
      .option('--dry-run', 'only count them', false),
  async run({ options: values }, env) {
    if (!values.topic || !KAFKA_TOPIC_NAME.test(values.topic)) {
      env.err('--topic must name the DLQ topic (KAFKA_DLQ_TOPIC of the ledger-consumer)');
      return 2;
    }
    const limit = values.limit === undefined ? undefined : Number(values.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
      env.err('--limit must be a positive integer');
      return 2;
    }
    const db = new DataSource(
      buildDataSourceOptions({ url: env.databaseUrl(), schema: 'ledger', names: env.schemaNames(), applicationName: 'ledger-dlq-redrive', poolSize: 2 }),
    );
    await db.initialize();
    const kafka = createKafka(env.kafkaConnection(), { clientId: CLI_KAFKA_CLIENT_ID, retry: { retries: 3 } });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    try {
      if (!values.dryRun) await producer.connect();
      const report = await redriveDeadLetters({ db, producer, topic: values.topic, limit, dryRun: values.dryRun });
      if (values.dryRun) {
        env.out(`ledger:dlq-redrive: ${report.pending} dead letter(s) without a DLQ copy`);
        return 0;
      }
      for (const r of report.refused) env.out(`  refused dead letter ${r.id}: ${r.error}`);
      env.out(
        `ledger:dlq-redrive: ${report.published} of ${report.pending} published to ${values.topic}${report.refused.length ? `, ${report.refused.length} refused by the topic` : ''}`,
      );
      return report.refused.length === 0 ? 0 : 1;
    } finally {
      await producer.disconnect().catch(() => undefined);
      await db.destroy();
    }
  },
};
