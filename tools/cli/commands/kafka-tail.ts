import { createKafka } from '@chat-ledger/kafka';
import { CLI_KAFKA_CLIENT_ID, CliCommand } from '../cli-command';

type KafkaTailOptions = { topic: string; fromBeginning: boolean; limit?: string; idleMs: string };

/** Reads token events off the topic and prints one JSON line each: key, partition, offset, headers, value. */
export const kafkaTail: CliCommand<KafkaTailOptions> = {
  name: 'kafka:tail',
  summary: 'print events from the token-events topic (from the beginning with --from-beginning), stop after --limit',
  define: (command) =>
    command
      .option('--topic <topic>', 'topic to read', 'token-events')
      .option('--from-beginning', 'start at the oldest retained event (default: only new ones)', false)
      .option('--limit <n>', 'stop after this many events')
      .option('--idle-ms <ms>', 'stop after this long without an event', '3000'),
  async run({ options: values }, env) {
    const limit = values.limit === undefined ? Infinity : Number(values.limit);
    const idleMs = Number(values.idleMs);
    if (!(limit > 0) || !(idleMs > 0)) throw new Error('--limit and --idle-ms must be positive numbers');
    const kafka = createKafka(env.kafkaConnection(), { clientId: CLI_KAFKA_CLIENT_ID });
    // A throwaway group: tailing must never move the ledger-consumer's offsets.
    const consumer = kafka.consumer({ groupId: `cli-tail-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 100, sessionTimeout: 6000 });
    await consumer.connect();
    await consumer.subscribe({ topic: values.topic, fromBeginning: values.fromBeginning });
    let seen = 0;
    let lastAt = Date.now();
    let idle: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      idle = setInterval(() => {
        if (Date.now() - lastAt > idleMs) resolve();
      }, 200);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          if (seen >= limit) return;
          seen++;
          lastAt = Date.now();
          const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, v?.toString()]));
          env.out(JSON.stringify({ partition, offset: message.offset, key: message.key?.toString(), headers, value: safeJson(message.value) }));
          if (seen >= limit) resolve();
        },
      });
    });
    clearInterval(idle);
    await consumer.disconnect();
    env.err(`${seen} event(s)`);
    return 0;
  },
};

function safeJson(value: Buffer | null): unknown {
  if (!value) return null;
  try {
    return JSON.parse(value.toString('utf8'));
  } catch {
    return value.toString('base64');
  }
}
