export { isTransientKafkaError, originalCause } from './kafka-errors';
export { assertTopicReady } from './topic-check';
export type { TopicCheckOptions } from './topic-check';
