import type { Admin } from 'kafkajs';

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Topic-level settings, e.g. `{ 'max.message.bytes': '10000' }`. */
  config?: Record<string, string>;
}

/**
 * Creates topics and returns once every partition answers a ListOffsets request, which only its acting
 * leader does. kafkajs' own `waitForLeaders` can return (or throw "unknown topic") while the new topic's
 * leaders are still being elected, and a send in that moment fails with NOT_LEADER_OR_FOLLOWER.
 */
export async function createTopicsAndWait(admin: Admin, topics: readonly TopicSpec[], timeoutMs = 30_000): Promise<void> {
  if (topics.length === 0) return;
  await admin.createTopics({
    waitForLeaders: false,
    topics: topics.map((t) => ({
      topic: t.name,
      numPartitions: t.partitions,
      replicationFactor: 1,
      configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
    })),
  });
  const deadline = Date.now() + timeoutMs;
  for (const topic of topics) {
    let lastProblem: string;
    for (;;) {
      try {
        const offsets = await admin.fetchTopicOffsets(topic.name);
        if (offsets.length === topic.partitions) break;
        lastProblem = `offsets of ${offsets.length} of ${topic.partitions} partitions`;
      } catch (error) {
        lastProblem = (error as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`topic ${topic.name} not writable ${timeoutMs} ms after its creation: ${lastProblem}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
