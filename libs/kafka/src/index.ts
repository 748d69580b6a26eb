export { backoffDelayMs } from './backoff';
export { isRecordError, isTransientKafkaError, originalCause } from './kafka-errors';
export { assertTopicReady } from './topic-check';
export type { TopicCheckOptions } from './topic-check';
export { TimeoutError, withTimeout } from './with-timeout';
