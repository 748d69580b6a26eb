import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateBy, ValidateIf, ValidationArguments } from 'class-validator';
import { EnvBool, EnvInt } from '@chat-ledger/platform';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type EnvClass = new (...args: any[]) => object;

export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

/**
 * KAFKA_TOPIC's default: libs/contracts' DEFAULT_TOKEN_EVENTS_TOPIC, written out because importing libs/contracts
 * would load every event schema into whoever uses this lib (kafka.env.spec checks that the two agree).
 */
const DEFAULT_KAFKA_TOPIC = 'token-events';

/** A legal Kafka topic name (KAFKA_TOPIC, the ledger's KAFKA_DLQ_TOPIC, the CLI's --topic). */
export const KAFKA_TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * `host:port[,host:port…]`. No colon in the host: kafkajs takes a broker's host as the text before its first colon,
 * so an address such as an unbracketed IPv6 one could never be reached.
 */
const BROKER_LIST = /^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/;

/**
 * A SASL credential while KAFKA_SASL_MECHANISM is set: a string of at most `max` characters (loadConfig drops empty
 * values, so at least one). One problem per key: "required" when it is missing, the length when it is too long.
 */
const SaslCredential = (max: number) =>
  ValidateBy({
    name: 'saslCredential',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && value.length >= 1 && value.length <= max,
      defaultMessage: (args?: ValidationArguments) =>
        typeof args?.value === 'string' ? `${args.property} must be 1 to ${max} characters` : `${args?.property} is required with KAFKA_SASL_MECHANISM`,
    },
  });

/** What a Kafka client is built from (`createKafka`): the connection keys, as an app's config or a tool has them. */
export interface KafkaConnectionSettings {
  KAFKA_BROKERS?: string;
  KAFKA_CLIENT_ID?: string;
  KAFKA_SSL?: boolean;
  KAFKA_SASL_MECHANISM?: KafkaSaslMechanism;
  KAFKA_SASL_USERNAME?: string;
  KAFKA_SASL_PASSWORD?: string;
}

/** The topic keys: which topic an app produces to or consumes from, and the partition count it must have. */
export interface KafkaTopicSettings {
  KAFKA_TOPIC: string;
  KAFKA_TOPIC_PARTITIONS: number;
}

export interface KafkaConnectionEnvOptions {
  /** Default of KAFKA_CLIENT_ID for this app. */
  clientId: string;
  /**
   * When KAFKA_BROKERS must be set, asked of the loaded (transformed) config. Default: always. chat-gateway only
   * needs brokers while it hosts the relay (RELAY_ENABLED).
   */
  brokersRequired?: (config: object) => boolean;
  /** Said in KAFKA_BROKERS' message when it is not always required, e.g. `required unless RELAY_ENABLED=false`. */
  brokersRequiredHint?: string;
}

/**
 * The Kafka connection keys as a schema piece for `loadConfig`: KAFKA_BROKERS, KAFKA_CLIENT_ID, KAFKA_SSL and
 * KAFKA_SASL_MECHANISM / _USERNAME / _PASSWORD. A mixin like libs/platform's WithJwtEnv, so an app's config
 * composes the pieces it needs (`extends WithKafkaTopicEnv(WithKafkaConnectionEnv(WithJwtEnv(BaseEnv), {...}))`)
 * and every app validates them the same way, with messages that name the key.
 */
export function WithKafkaConnectionEnv<TBase extends EnvClass>(Base: TBase, options: KafkaConnectionEnvOptions) {
  const required = options.brokersRequired ?? (() => true);
  const brokersMessage = `KAFKA_BROKERS must be a comma-separated host:port list${options.brokersRequiredHint ? ` (${options.brokersRequiredHint})` : ''}`;

  class KafkaConnectionEnvKeys extends Base implements KafkaConnectionSettings {
    /** Comma-separated host:port list. */
    @ValidateIf((config: object) => required(config))
    @Matches(BROKER_LIST, { message: brokersMessage })
    KAFKA_BROKERS?: string;

    @IsString()
    @Matches(/^[A-Za-z0-9._-]{1,100}$/, { message: 'KAFKA_CLIENT_ID must be 1 to 100 characters of [A-Za-z0-9._-]' })
    KAFKA_CLIENT_ID = options.clientId;

    @EnvBool()
    @IsBoolean()
    KAFKA_SSL = false;

    @IsOptional()
    @IsIn(KAFKA_SASL_MECHANISMS as unknown as string[])
    KAFKA_SASL_MECHANISM?: KafkaSaslMechanism;

    @ValidateIf((config: KafkaConnectionSettings) => config.KAFKA_SASL_MECHANISM !== undefined)
    @SaslCredential(500)
    KAFKA_SASL_USERNAME?: string;

    @ValidateIf((config: KafkaConnectionSettings) => config.KAFKA_SASL_MECHANISM !== undefined)
    @SaslCredential(1000)
    KAFKA_SASL_PASSWORD?: string;
  }
  return KafkaConnectionEnvKeys;
}

/** KAFKA_TOPIC (default `token-events`) and KAFKA_TOPIC_PARTITIONS (default 16) as a schema piece. */
export function WithKafkaTopicEnv<TBase extends EnvClass>(Base: TBase) {
  class KafkaTopicEnvKeys extends Base implements KafkaTopicSettings {
    @IsString()
    @Matches(KAFKA_TOPIC_NAME, { message: 'KAFKA_TOPIC must be a valid Kafka topic name' })
    KAFKA_TOPIC = DEFAULT_KAFKA_TOPIC;

    /** Partitions the topic must have; checked at start (assertTopicReady), never changed by the apps. */
    @EnvInt()
    @IsInt()
    @Min(1)
    @Max(10_000)
    KAFKA_TOPIC_PARTITIONS = 16;
  }
  return KafkaTopicEnvKeys;
}
