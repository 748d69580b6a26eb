import { IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { EnvInt, EnvSecret } from '@chat-ledger/platform';

/** Environment of the one-machine launcher (`npm start`). Apps validate their own keys on top. */
export class StackConfig {
  @IsString()
  DATA_DIR = '.data';

  @EnvSecret()
  @IsOptional()
  @IsString()
  DATABASE_URL?: string;

  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(65535)
  EMBEDDED_PG_PORT = 54320;

  @EnvSecret()
  @IsOptional()
  @IsString()
  @MinLength(32)
  JWT_SECRET?: string;

  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  LEDGER_PORT = 3001;

  @IsOptional()
  @IsString()
  KAFKA_BROKERS?: string;

  /** Bootstrap port of the embedded Apache Kafka (its KRaft controller listens on the next port). */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(65534)
  EMBEDDED_KAFKA_PORT = 9092;

  /** JVM heap of the embedded broker, MiB. */
  @EnvInt()
  @IsInt()
  @Min(128)
  @Max(16_384)
  EMBEDDED_KAFKA_HEAP_MB = 512;

  /** An unpacked Apache Kafka 4.x distribution to take the broker's jars from instead of Maven Central. */
  @IsOptional()
  @IsString()
  KAFKA_HOME?: string;

  /** The JDK or JRE that runs the embedded broker (default: `java` on the PATH). */
  @IsOptional()
  @IsString()
  JAVA_HOME?: string;

  @IsString()
  KAFKA_TOPIC = 'token-events';

  /** Dead letters of the ledger are copied here (created by the launcher next to the topic). */
  @IsString()
  KAFKA_DLQ_TOPIC = 'token-events.dlq';

  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  KAFKA_TOPIC_PARTITIONS = 16;

  @IsString()
  DEMO_USER = 'demo';

  /**
   * Price versions the ledger-consumer loads at start (its LEDGER_PRICES_FILE). Unset: the example price book
   * in apps/ledger-consumer/prices.example.json, so the first round is priced; `none` starts without one.
   */
  @IsOptional()
  @IsString()
  LEDGER_PRICES_FILE?: string;
}
