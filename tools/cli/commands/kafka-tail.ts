import { Kafka, logLevel } from 'kafkajs';
import { parseArgs } from 'node:util';
import type { CliCommand } from '../cli-command';

/** Reads token events off the topic and prints one JSON line each: key, partition, offset, headers, value. */
export const kafkaTail: CliCommand = {
  name: 'kafka:tail',
  summary: 'print events from the token-events topic (from the beginning with --from-beginning), stop after --limit',
  usage: 'kafka:tail [--topic token-events] [--from-beginning] [--limit N] [--idle-ms 3000]',
  async run(argv, env) {
    const { values } = parseArgs({
      args: argv,
      options: {
        topic: { type: 'string', default: 'token-events' },
        'from-beginning': { type: 'boolean', default: false },
        limit: { type: 'string' },
        'idle-ms': { type: 'string', default: '3000' },
      },
    });
    const limit = values.limit === undefined ? Infinity : Number(values.limit);
    const idleMs = Number(values['idle-ms']);
    if (!(limit > 0) || !(idleMs > 0)) throw new Error('--limit and --idle-ms must be positive numbers');
    const kafka = new Kafka({ clientId: 'chat-ledger-cli', brokers: env.kafkaBrokers(), logLevel: logLevel.NOTHING });
    // A throwaway group: tailing must never move the ledger-consumer's offsets.
    const consumer = kafka.consumer({ groupId: `cli-tail-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 100, sessionTimeout: 6000 });
    await consumer.connect();
    await consumer.subscribe({ topic: values.topic!, fromBeginning: values['from-beginning'] });
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
