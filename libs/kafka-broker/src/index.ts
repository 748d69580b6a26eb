export { createTopicsAndWait } from './create-topics';
export type { TopicSpec } from './create-topics';
export { KafkaBroker } from './kafka-broker';
export type { KafkaBrokerOptions, KafkaBrokerTopic } from './kafka-broker';
export { defaultCacheDir, detectJava, KAFKA_VERSION, KafkaRuntimeError, MIN_JAVA_MAJOR, resolveKafkaRuntime } from './kafka-runtime';
export type { KafkaRuntime, KafkaRuntimeOptions } from './kafka-runtime';
export type { ExtraListener } from './server-properties';
export { findFreePort, portIsFree } from './free-port';
