import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

/**
 * Writes a few small JSON records (`{"id": "warmup-…"}`) into every partition of a new topic, in two sends, so the
 * broker's one-time work on a new partition is done before a latency measurement starts. Kafka creates a
 * partition's offset and time index files at the append that writes its first index entry, which is the first
 * append after 4 KB (`index.interval.bytes`) reached the partition: here ~6 ms a partition, so the second send into a
 * new 32-partition topic stalled ~200 ms, and at 1,000 rows/s that one stall was the p99 of every relay measured.
 * Consumers that match arrivals by id ignore these records; whatever counts a topic's records counts from its size
 * after warming.
 */
export async function warmTopic(brokers: string, topic: string, partitions: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-warm-topic', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const pad = 'x'.repeat(600);
    for (let round = 0; round < 2; round++) {
      const messages = [];
      // 8 records of ~650 bytes: over 4 KB per partition in the first round, so the second round writes the index entry.
      for (let partition = 0; partition < partitions; partition++)
        for (let i = 0; i < 8; i++) messages.push({ partition, value: JSON.stringify({ id: `warmup-${randomUUID()}`, pad }) });
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}
