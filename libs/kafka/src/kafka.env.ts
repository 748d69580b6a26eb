import { accessSync, constants } from 'node:fs';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateBy, ValidateIf, ValidationArguments } from 'class-validator';
import { EnvBool, EnvInt, EnvSecret } from '@chat-ledger/platform';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type EnvClass = new (...args: any[]) => object;

export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'] as const;
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

/** PLAIN and SCRAM authenticate with a username and a password; OAUTHBEARER takes a token file instead. */
const needsPassword = (config: KafkaConnectionSettings) => config.KAFKA_SASL_MECHANISM !== undefined && config.KAFKA_SASL_MECHANISM !== 'oauthbearer';

/** PEM text as read from KAFKA_SSL_*_FILE (or given inline): one or more `-----BEGIN …-----` blocks. */
const PEM = /-----BEGIN [A-Z0-9 ]+-----[\s\S]+-----END [A-Z0-9 ]+-----/;

/** A TLS setting needs KAFKA_SSL=true (a CA or client certificate on a plaintext connection is a mistake, not a no-op). */
const TlsMaterial = (what: string) =>
  ValidateBy({
    name: 'tlsMaterial',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) =>
        typeof value === 'string' && PEM.test(value) && (args?.object as KafkaConnectionSettings).KAFKA_SSL === true,
      defaultMessage: (args?: ValidationArguments) =>
        (args?.object as KafkaConnectionSettings).KAFKA_SSL !== true
          ? `${args?.property} needs KAFKA_SSL=true`
          : `${args?.property} must be PEM text (${what}), usually given as ${args?.property}_FILE`,
    },
  });

/** Client certificate and key come together (mTLS). */
const PairedWith = (other: 'KAFKA_SSL_CERT' | 'KAFKA_SSL_KEY') =>
  ValidateBy({
    name: 'pairedWith',
    validator: {
      validate: (_value: unknown, args?: ValidationArguments) => (args?.object as KafkaConnectionSettings)[other] !== undefined,
      defaultMessage: (args?: ValidationArguments) => `${args?.property} needs ${other} (a client certificate and its key go together)`,
    },
  });

/** A file this process can read now (it is read again at every authentication, so it may be replaced meanwhile). */
const ReadableFile = () =>
  ValidateBy({
    name: 'readableFile',
    validator: {
      validate: (value: unknown) => {
        if (typeof value !== 'string') return false;
        try {
          accessSync(value, constants.R_OK);
          return true;
        } catch {
          return false;
        }
      },
      defaultMessage: (args?: ValidationArguments) =>
        typeof args?.value === 'string'
          ? `${args.property} must be a readable file`
          : `${args?.property} is required with KAFKA_SASL_MECHANISM=oauthbearer (a file holding the bearer token)`,
    },
  });

/** What a Kafka client is built from (`createKafka`): the connection keys, as an app's config or a tool has them. */
export interface KafkaConnectionSettings {
  KAFKA_BROKERS?: string;
  KAFKA_CLIENT_ID?: string;
  KAFKA_SSL?: boolean;
  /** PEM of the CA(s) to trust instead of the system's (KAFKA_SSL_CA_FILE). */
  KAFKA_SSL_CA?: string;
  /** PEM of the client certificate for mTLS (KAFKA_SSL_CERT_FILE). */
  KAFKA_SSL_CERT?: string;
  /** PEM of the client certificate's private key (KAFKA_SSL_KEY_FILE). */
  KAFKA_SSL_KEY?: string;
  /** Default true; false accepts any broker certificate (testing only). */
  KAFKA_SSL_REJECT_UNAUTHORIZED?: boolean;
  KAFKA_SASL_MECHANISM?: KafkaSaslMechanism;
  KAFKA_SASL_USERNAME?: string;
  KAFKA_SASL_PASSWORD?: string;
  /** OAUTHBEARER: the file with the current token, read at every authentication (a sidecar refreshes it). */
  KAFKA_SASL_OAUTHBEARER_TOKEN_FILE?: string;
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
 * The Kafka connection keys as a schema piece for `loadConfig`: KAFKA_BROKERS, KAFKA_CLIENT_ID, KAFKA_SSL with
 * KAFKA_SSL_CA / _CERT / _KEY (PEM, secrets, so each also as `<KEY>_FILE`) and KAFKA_SSL_REJECT_UNAUTHORIZED, and
 * KAFKA_SASL_MECHANISM with _USERNAME / _PASSWORD (plain, SCRAM) or _OAUTHBEARER_TOKEN_FILE (oauthbearer). A mixin like libs/platform's WithJwtEnv, so an app's config
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

    @EnvSecret()
    @IsOptional()
    @TlsMaterial('one or more CERTIFICATE blocks')
    KAFKA_SSL_CA?: string;

    @EnvSecret()
    @IsOptional()
    @TlsMaterial('a CERTIFICATE block, intermediates after it')
    @PairedWith('KAFKA_SSL_KEY')
    KAFKA_SSL_CERT?: string;

    @EnvSecret()
    @IsOptional()
    @TlsMaterial('a PRIVATE KEY block, unencrypted')
    @PairedWith('KAFKA_SSL_CERT')
    KAFKA_SSL_KEY?: string;

    @EnvBool()
    @IsBoolean()
    KAFKA_SSL_REJECT_UNAUTHORIZED = true;

    @IsOptional()
    @IsIn(KAFKA_SASL_MECHANISMS as unknown as string[], { message: `KAFKA_SASL_MECHANISM must be one of ${KAFKA_SASL_MECHANISMS.join(', ')}` })
    KAFKA_SASL_MECHANISM?: KafkaSaslMechanism;

    @ValidateIf(needsPassword)
    @SaslCredential(500)
    KAFKA_SASL_USERNAME?: string;

    @EnvSecret()
    @ValidateIf(needsPassword)
    @SaslCredential(1000)
    KAFKA_SASL_PASSWORD?: string;

    @ValidateIf((config: KafkaConnectionSettings) => config.KAFKA_SASL_MECHANISM === 'oauthbearer')
    @ReadableFile()
    KAFKA_SASL_OAUTHBEARER_TOKEN_FILE?: string;
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
