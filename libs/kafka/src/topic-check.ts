import type { Admin, Kafka } from 'kafkajs';

export interface TopicCheckOptions {
  /** How to name the cluster in error messages (e.g. the KAFKA_BROKERS value). Default: the brokers the cluster advertises. */
  brokers?: string | readonly string[];
}

/**
 * Verifies at application start that `topic` exists with `expectedPartitions` partitions, and says what
 * to do when it does not. Apps never create topics themselves (see DESIGN.md), so this is the check.
 *
 * Plain kafkajs admin metadata, nothing embedded-specific: it works against Apache Kafka and the
 * embedded one alike. The kafkajs admin client asks with allowAutoTopicCreation=false, so the check
 * cannot create the topic by accident on a broker with auto.create.topics.enable.
 */
export async function assertTopicReady(kafka: Kafka, topic: string, expectedPartitions: number, options: TopicCheckOptions = {}): Promise<void> {
  const admin = kafka.admin();
  try {
    try {
      await admin.connect();
    } catch (err) {
      throw new Error(`cannot reach Kafka${labelFromOption(options)} to check topic ${topic}: ${messageOf(err)}`, { cause: err });
    }

    let partitions: number;
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      const found = metadata.topics.find((t) => t.name === topic);
      partitions = found ? found.partitions.length : 0;
    } catch (err) {
      if (!isUnknownTopic(err)) {
        throw new Error(`cannot read metadata of topic ${topic} on ${await brokersLabel(admin, options)}: ${messageOf(err)}`, { cause: err });
      }
      partitions = 0;
    }

    if (partitions === 0) {
      throw new Error(
        `topic ${topic} does not exist on ${await brokersLabel(admin, options)}: ` + `create it with ${expectedPartitions} partitions (see docs/operations.md)`,
      );
    }
    if (partitions !== expectedPartitions) {
      // Not fixed silently: adding partitions moves keys (user ids) to other partitions and breaks
      // per-user order for events already in flight, so this needs an operator's decision.
      throw new Error(
        `topic ${topic} on ${await brokersLabel(admin, options)} has ${partitions} partitions, expected ${expectedPartitions}: ` +
          `recreate it with ${expectedPartitions} partitions or configure the expected count (see docs/operations.md)`,
      );
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function isUnknownTopic(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { type?: unknown }).type === 'UNKNOWN_TOPIC_OR_PARTITION';
}

function labelFromOption(options: TopicCheckOptions): string {
  if (options.brokers === undefined) return '';
  return ` at ${formatBrokers(options.brokers)}`;
}

async function brokersLabel(admin: Admin, options: TopicCheckOptions): Promise<string> {
  if (options.brokers !== undefined) return formatBrokers(options.brokers);
  try {
    const cluster = await admin.describeCluster();
    return cluster.brokers
      .map((b) => `${b.host}:${b.port}`)
      .sort()
      .join(',');
  } catch {
    return 'the configured brokers';
  }
}

function formatBrokers(brokers: string | readonly string[]): string {
  return typeof brokers === 'string' ? brokers : brokers.join(',');
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
