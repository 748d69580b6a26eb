import 'reflect-metadata';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsBoolean } from 'class-validator';
import { DEFAULT_TOKEN_EVENTS_TOPIC } from '@chat-ledger/contracts';
import { BaseEnv, ConfigValidationError, EnvBool, loadConfig, WithJwtEnv } from '@chat-ledger/platform';
import { WithKafkaConnectionEnv, WithKafkaTopicEnv } from './kafka.env';

const SECRET = 'x'.repeat(32);

/** An app's schema as the apps compose theirs: JWT, Kafka connection (brokers always required), topic. */
class AppEnv extends WithKafkaTopicEnv(WithKafkaConnectionEnv(WithJwtEnv(BaseEnv), { clientId: 'test-app' })) {}

/** A host that needs brokers only while it runs its Kafka side, as chat-gateway with RELAY_ENABLED. */
class HostEnv extends WithKafkaConnectionEnv(BaseEnv, {
  clientId: 'test-host',
  brokersRequired: (config) => (config as { RELAY_ENABLED?: unknown }).RELAY_ENABLED !== false,
  brokersRequiredHint: 'required unless RELAY_ENABLED=false',
}) {
  @EnvBool()
  @IsBoolean()
  RELAY_ENABLED = true;
}

function problems(schema: new () => object, env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}

const keysOf = (list: string[]) => new Set(list.map((p) => p.split(':')[0]));

describe('Kafka env pieces', () => {
  it('defaults: the app client id, no TLS, no SASL, token-events with 16 partitions', () => {
    const env = loadConfig(AppEnv, { JWT_SECRET: SECRET, KAFKA_BROKERS: 'k:9092' });
    expect(env).toMatchObject({
      KAFKA_BROKERS: 'k:9092',
      KAFKA_CLIENT_ID: 'test-app',
      KAFKA_SSL: false,
      KAFKA_TOPIC: 'token-events',
      KAFKA_TOPIC_PARTITIONS: 16,
    });
    expect(env.KAFKA_SASL_MECHANISM).toBeUndefined();
    // The piece writes the default out instead of importing libs/contracts; they must agree.
    expect(env.KAFKA_TOPIC).toBe(DEFAULT_TOKEN_EVENTS_TOPIC);
  });

  it('reads every key: brokers with spaces, TLS, SCRAM credentials, topic and partitions', () => {
    const env = loadConfig(AppEnv, {
      JWT_SECRET: SECRET,
      KAFKA_BROKERS: ' kafka-1:9092 , kafka-2:9093',
      KAFKA_CLIENT_ID: 'ledger-2',
      KAFKA_SSL: 'yes',
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
      KAFKA_TOPIC: 'tenant-a.token-events',
      KAFKA_TOPIC_PARTITIONS: '48',
    });
    expect(env).toMatchObject({
      KAFKA_CLIENT_ID: 'ledger-2',
      KAFKA_SSL: true,
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_TOPIC: 'tenant-a.token-events',
      KAFKA_TOPIC_PARTITIONS: 48,
    });
  });

  it('a config missing KAFKA_BROKERS lists it, by name, with the other pieces’ problems', () => {
    const list = problems(AppEnv, {});
    expect(list).toContain('KAFKA_BROKERS: KAFKA_BROKERS must be a comma-separated host:port list');
    expect(keysOf(list)).toEqual(new Set(['KAFKA_BROKERS', 'JWT_SECRET']));
  });

  it('KAFKA_BROKERS must be host:port pairs; a colon in the host is refused (kafkajs could never reach it)', () => {
    for (const bad of ['kafka', 'kafka:', 'kafka:9092,', 'a:b:9092', 'kafka:123456', 'kafka :9092']) {
      expect(problems(AppEnv, { JWT_SECRET: SECRET, KAFKA_BROKERS: bad })).toEqual(['KAFKA_BROKERS: KAFKA_BROKERS must be a comma-separated host:port list']);
    }
    expect(problems(AppEnv, { JWT_SECRET: SECRET, KAFKA_BROKERS: '10.0.0.1:9092,kafka-2.internal:19092' })).toEqual([]);
  });

  it('brokers can be required only while another key says so, and the message says when', () => {
    expect(problems(HostEnv, {})).toEqual(['KAFKA_BROKERS: KAFKA_BROKERS must be a comma-separated host:port list (required unless RELAY_ENABLED=false)']);
    expect(problems(HostEnv, { RELAY_ENABLED: 'false' })).toEqual([]);
    const off = loadConfig(HostEnv, { RELAY_ENABLED: 'false' });
    expect(off.KAFKA_CLIENT_ID).toBe('test-host');
    expect(off.KAFKA_BROKERS).toBeUndefined();
    expect(keysOf(problems(HostEnv, { RELAY_ENABLED: 'true', KAFKA_BROKERS: 'nope' }))).toEqual(new Set(['KAFKA_BROKERS']));
    // As before: while not required, KAFKA_BROKERS is not checked at all (nothing reads it).
    expect(problems(HostEnv, { RELAY_ENABLED: 'false', KAFKA_BROKERS: 'nope' })).toEqual([]);
  });

  it('a bad SASL combination is listed: a mechanism without credentials, an unknown mechanism, overlong credentials', () => {
    expect(problems(AppEnv, { JWT_SECRET: SECRET, KAFKA_BROKERS: 'k:1', KAFKA_SASL_MECHANISM: 'plain' })).toEqual([
      'KAFKA_SASL_USERNAME: KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM',
      'KAFKA_SASL_PASSWORD: KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM',
    ]);
    expect(
      problems(AppEnv, {
        JWT_SECRET: SECRET,
        KAFKA_BROKERS: 'k:1',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'u'.repeat(501),
        KAFKA_SASL_PASSWORD: 'p',
      }),
    ).toEqual(['KAFKA_SASL_USERNAME: KAFKA_SASL_USERNAME must be 1 to 500 characters']);
    expect(keysOf(problems(AppEnv, { JWT_SECRET: SECRET, KAFKA_BROKERS: 'k:1', KAFKA_SASL_MECHANISM: 'gssapi' }))).toEqual(
      new Set(['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']),
    );
    expect(
      keysOf(
        problems(AppEnv, {
          JWT_SECRET: SECRET,
          KAFKA_BROKERS: 'k:1',
          KAFKA_SASL_MECHANISM: 'plain',
          KAFKA_SASL_USERNAME: 'u'.repeat(501),
          KAFKA_SASL_PASSWORD: 'p'.repeat(1001),
        }),
      ),
    ).toEqual(new Set(['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']));
    // Credentials without a mechanism are ignored (kept, unused).
    expect(problems(AppEnv, { JWT_SECRET: SECRET, KAFKA_BROKERS: 'k:1', KAFKA_SASL_USERNAME: 'u' })).toEqual([]);
  });

  it('every bad key of every piece is reported at once, each message naming its key', () => {
    const list = problems(AppEnv, {
      JWT_SECRET: 'short',
      KAFKA_BROKERS: 'no-port',
      KAFKA_CLIENT_ID: 'has spaces',
      KAFKA_SSL: 'maybe',
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_TOPIC: 'bad topic',
      KAFKA_TOPIC_PARTITIONS: '0',
    });
    expect(keysOf(list)).toEqual(
      new Set([
        'JWT_SECRET',
        'KAFKA_BROKERS',
        'KAFKA_CLIENT_ID',
        'KAFKA_SSL',
        'KAFKA_SASL_USERNAME',
        'KAFKA_SASL_PASSWORD',
        'KAFKA_TOPIC',
        'KAFKA_TOPIC_PARTITIONS',
      ]),
    );
    for (const problem of list) expect(problem.split(': ')[1]).toContain(problem.split(':')[0]);
    expect(list).toEqual(
      expect.arrayContaining([
        'KAFKA_CLIENT_ID: KAFKA_CLIENT_ID must be 1 to 100 characters of [A-Za-z0-9._-]',
        'KAFKA_TOPIC: KAFKA_TOPIC must be a valid Kafka topic name',
      ]),
    );
  });

  it('KAFKA_CLIENT_ID is 1 to 100 characters of [A-Za-z0-9._-]', () => {
    expect(problems(AppEnv, { JWT_SECRET: SECRET, KAFKA_BROKERS: 'k:1', KAFKA_CLIENT_ID: 'a'.repeat(100) })).toEqual([]);
    expect(keysOf(problems(AppEnv, { JWT_SECRET: SECRET, KAFKA_BROKERS: 'k:1', KAFKA_CLIENT_ID: 'a'.repeat(101) }))).toEqual(new Set(['KAFKA_CLIENT_ID']));
    expect(keysOf(problems(AppEnv, { JWT_SECRET: SECRET, KAFKA_BROKERS: 'k:1', KAFKA_CLIENT_ID: 'relay/1' }))).toEqual(new Set(['KAFKA_CLIENT_ID']));
  });

  it('two schemas composed with different options keep their own defaults and rules', () => {
    expect(loadConfig(AppEnv, { JWT_SECRET: SECRET, KAFKA_BROKERS: 'k:1' }).KAFKA_CLIENT_ID).toBe('test-app');
    expect(loadConfig(HostEnv, { KAFKA_BROKERS: 'k:1' }).KAFKA_CLIENT_ID).toBe('test-host');
    expect(problems(AppEnv, { JWT_SECRET: SECRET })).toHaveLength(1);
    expect(problems(HostEnv, { RELAY_ENABLED: 'false' })).toHaveLength(0);
  });

  describe('TLS (KAFKA_SSL_*) and OAUTHBEARER, files read through <KEY>_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafka-env-'));
    const certificatePath = join(__dirname, '../test/fixtures/test-certificate.pem');
    const keyPath = join(dir, 'client.key');
    writeFileSync(keyPath, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const tokenPath = join(dir, 'token');
    writeFileSync(tokenPath, 'eyJhbGciOi.token\n');
    const base = { JWT_SECRET: SECRET, KAFKA_BROKERS: 'k:9093' };

    it('reads the CA, the client certificate and its key from files (mTLS), verification on by default', () => {
      const env = loadConfig(AppEnv, {
        ...base,
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: certificatePath,
        KAFKA_SSL_CERT_FILE: certificatePath,
        KAFKA_SSL_KEY_FILE: keyPath,
      });
      expect(env.KAFKA_SSL_CA).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----$/);
      expect(env.KAFKA_SSL_KEY).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(env.KAFKA_SSL_REJECT_UNAUTHORIZED).toBe(true);
      expect(loadConfig(AppEnv, { ...base, KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' }).KAFKA_SSL_REJECT_UNAUTHORIZED).toBe(false);
    });

    it('refuses TLS material without KAFKA_SSL=true, a certificate without its key, and text that is not PEM', () => {
      expect(problems(AppEnv, { ...base, KAFKA_SSL_CA_FILE: certificatePath })).toEqual(['KAFKA_SSL_CA: KAFKA_SSL_CA needs KAFKA_SSL=true']);
      expect(problems(AppEnv, { ...base, KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: certificatePath })).toEqual([
        'KAFKA_SSL_CERT: KAFKA_SSL_CERT needs KAFKA_SSL_KEY (a client certificate and its key go together)',
      ]);
      expect(problems(AppEnv, { ...base, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: tokenPath })).toEqual([
        'KAFKA_SSL_CA: KAFKA_SSL_CA must be PEM text (one or more CERTIFICATE blocks), usually given as KAFKA_SSL_CA_FILE',
      ]);
      expect(problems(AppEnv, { ...base, KAFKA_SSL: 'true', KAFKA_SSL_KEY_FILE: join(dir, 'nope') })).toEqual([
        'KAFKA_SSL_KEY_FILE: KAFKA_SSL_KEY_FILE cannot be read (ENOENT)',
      ]);
    });

    it('KAFKA_SASL_PASSWORD may come from a file too; both forms at once are refused', () => {
      const passwordPath = join(dir, 'password');
      writeFileSync(passwordPath, 's3cret\n');
      const sasl = { ...base, KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'relay' };
      expect(loadConfig(AppEnv, { ...sasl, KAFKA_SASL_PASSWORD_FILE: passwordPath }).KAFKA_SASL_PASSWORD).toBe('s3cret');
      expect(problems(AppEnv, { ...sasl, KAFKA_SASL_PASSWORD_FILE: passwordPath, KAFKA_SASL_PASSWORD: 'x' })).toEqual([
        'KAFKA_SASL_PASSWORD: set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both',
      ]);
    });

    it('oauthbearer needs a readable token file instead of a username and password', () => {
      expect(problems(AppEnv, { ...base, KAFKA_SASL_MECHANISM: 'oauthbearer' })).toEqual([
        'KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: KAFKA_SASL_OAUTHBEARER_TOKEN_FILE is required with KAFKA_SASL_MECHANISM=oauthbearer (a file holding the bearer token)',
      ]);
      expect(problems(AppEnv, { ...base, KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: join(dir, 'nope') })).toEqual([
        'KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: KAFKA_SASL_OAUTHBEARER_TOKEN_FILE must be a readable file',
      ]);
      const env = loadConfig(AppEnv, { ...base, KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: tokenPath });
      expect(env).toMatchObject({ KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: tokenPath });
    });
  });
});
