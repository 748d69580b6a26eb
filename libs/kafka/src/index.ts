export { backoffDelayMs } from './backoff';
export { createKafka, KAFKA_SHORT_RETRY, kafkaClientConfig, parseBrokers } from './create-kafka';
export type { KafkaClientOptions, KafkaLogger } from './create-kafka';
export { isRecordError, isTransientKafkaError, originalCause } from './kafka-errors';
export { KAFKA_SASL_MECHANISMS, KAFKA_TOPIC_NAME, WithKafkaConnectionEnv, WithKafkaTopicEnv } from './kafka.env';
export type { KafkaConnectionEnvOptions, KafkaConnectionSettings, KafkaSaslMechanism, KafkaTopicSettings } from './kafka.env';
export { assertTopicReady } from './topic-check';
export type { TopicCheckOptions } from './topic-check';
export { TimeoutError, withTimeout } from './with-timeout';
