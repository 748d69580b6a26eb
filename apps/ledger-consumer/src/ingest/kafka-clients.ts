import { Logger } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { createKafka, KAFKA_SHORT_RETRY, KafkaClientOptions } from '@chat-ledger/kafka';
import { LedgerConfig } from '../config/ledger.config';

/**
 * The Kafka clients of the app, all from libs/kafka's `createKafka` with the config's connection keys; kafkajs' own
 * lines go through the app's logger (errors and warnings as such, the rest at debug, info and debug only at
 * LOG_LEVEL=debug). `main` carries the consumer (kafkajs' default timeouts and retries); `dlq` the DLQ producer,
 * with short retries so one copy fails within DLQ_PUBLISH_TIMEOUT; `probe` answers readiness checks and fails fast
 * (no retries) so /health/ready never hangs on a dead broker.
 */
export class KafkaClients {
  readonly main: Kafka;
  readonly dlq: Kafka;
  readonly probe: Kafka;

  constructor(config: LedgerConfig) {
    const logging: KafkaClientOptions = { logger: new Logger('Kafka'), logLevel: config.LOG_LEVEL === 'debug' ? 'debug' : 'warn' };
    this.main = createKafka(config, logging);
    this.dlq = createKafka(config, { ...logging, requestTimeoutMs: config.DLQ_PUBLISH_TIMEOUT, retry: KAFKA_SHORT_RETRY });
    this.probe = createKafka(config, { ...logging, connectionTimeoutMs: 1000, requestTimeoutMs: 1000, retry: { retries: 0 } });
  }
}
