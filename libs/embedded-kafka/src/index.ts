export { DEFAULT_TOPICS, EmbeddedKafka } from './embedded-kafka';
export type { EmbeddedKafkaOptions, EmbeddedKafkaTopic } from './embedded-kafka';
export { assertTopicReady } from './topic-check';
export type { TopicCheckOptions } from './topic-check';
