import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaBroker } from '@chat-ledger/kafka-broker';
import { BaseEnv, loadConfig } from '@chat-ledger/platform';
import { findFreePort, uniqueTopicName } from '@chat-ledger/testing';
import { createKafka } from './create-kafka';
import { WithKafkaConnectionEnv } from './kafka.env';

class ClientEnv extends WithKafkaConnectionEnv(BaseEnv, { clientId: 'sasl-test' }) {}

/**
 * The SASL settings as the apps read them (KAFKA_SASL_*, the password from a file) against a broker listener that
 * demands SASL/PLAIN: the right password produces and reads back, a wrong one is refused by the broker.
 */
describe('Kafka SASL against a real broker', () => {
  let broker: KafkaBroker;
  let saslBrokers: string;
  const dir = mkdtempSync(join(tmpdir(), 'kafka-sasl-'));
  const secretFile = (name: string, content: string) => {
    writeFileSync(join(dir, name), `${content}\n`);
    return join(dir, name);
  };

  beforeAll(async () => {
    const port = await findFreePort();
    broker = await KafkaBroker.start({
      dataDir: join(dir, 'kafka'),
      port: 0,
      persistent: false,
      heapMb: 256,
      kafkaHome: process.env.KAFKA_HOME,
      extraListeners: [{ name: 'SASL', port, advertisedPort: port, securityProtocol: 'SASL_PLAINTEXT' }],
      brokerConfig: {
        'listener.name.sasl.sasl.enabled.mechanisms': 'PLAIN,OAUTHBEARER',
        'listener.name.sasl.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_relay="relay-secret";',
        // Kafka's built-in unsecured validator: it checks the token's form, sub and exp, not a signature (enough to
        // show the client sends the token it read from the file).
        'listener.name.sasl.oauthbearer.sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;',
      },
    });
    saslBrokers = `127.0.0.1:${port}`;
  }, 120_000);
  afterAll(() => broker?.stop());

  it('authenticates with the username and the password from KAFKA_SASL_PASSWORD_FILE, then produces and reads', async () => {
    const topic = uniqueTopicName('sasl');
    const env = loadConfig(ClientEnv, {
      KAFKA_BROKERS: saslBrokers,
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'relay',
      KAFKA_SASL_PASSWORD_FILE: secretFile('password', 'relay-secret'),
    });
    const kafka = createKafka(env);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'u1', value: 'over SASL' }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `${topic}-reader` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const value = await new Promise<string>((resolve) => void consumer.run({ eachMessage: async ({ message }) => resolve(message.value!.toString()) }));
      expect(value).toBe('over SASL');
    } finally {
      await consumer.disconnect();
    }
  });

  it('is refused by the broker with a wrong password', async () => {
    const env = loadConfig(ClientEnv, {
      KAFKA_BROKERS: saslBrokers,
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'relay',
      KAFKA_SASL_PASSWORD_FILE: secretFile('wrong', 'not-the-secret'),
    });
    const admin = createKafka(env, { retry: { retries: 0 } }).admin();
    await expect(admin.connect()).rejects.toThrow(/SASL PLAIN authentication failed/i);
    await admin.disconnect();
  });

  it('OAUTHBEARER sends the token read from KAFKA_SASL_OAUTHBEARER_TOKEN_FILE at each authentication', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const unsecured = (exp: number) => `${b64({ alg: 'none' })}.${b64({ sub: 'relay', iat: now - 60, exp })}.`;
    const tokenFile = secretFile('token', unsecured(now - 30));
    const env = loadConfig(ClientEnv, { KAFKA_BROKERS: saslBrokers, KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: tokenFile });
    // An expired token: the broker answers with an error challenge that kafkajs takes for success, then closes the
    // connection at the first request; so a refused token shows as a closed connection, not an authentication error.
    const expired = createKafka(env, { retry: { retries: 0 } }).admin();
    await expired.connect().catch(() => undefined);
    await expect(expired.describeCluster()).rejects.toThrow();
    await expired.disconnect();
    // The same settings pick up the refreshed file at the next authentication, without a restart.
    writeFileSync(tokenFile, unsecured(now + 600));
    const admin = createKafka(env, { retry: { retries: 0 } }).admin();
    await admin.connect();
    await expect(admin.describeCluster()).resolves.toMatchObject({ brokers: [expect.objectContaining({ port: Number(saslBrokers.split(':')[1]) })] });
    await admin.disconnect();
  });
});
