import { aUserMessage, eventually, OwnKafka, startOwnKafka } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from './gateway-test-app';

describe('GET /health/ready with the outbox relay enabled', () => {
  // A broker of its own, behind a fault proxy: the test cuts the network to it.
  let kafka: OwnKafka;
  let gw: GatewayTestApp;

  beforeAll(async () => {
    kafka = await startOwnKafka([{ name: 'token-events', partitions: 16 }]);
    gw = await startGateway({
      env: { RELAY_ENABLED: 'true', KAFKA_BROKERS: kafka.faultyBrokers, OUTBOX_RETRY_BASE: '50ms', OUTBOX_RETRY_MAX: '200ms', OUTBOX_SEND_TIMEOUT: '1s' },
    });
  });

  afterAll(async () => {
    await gw?.close();
    await kafka?.stop();
  });

  it('reports Kafka up from the start, degraded (still 200: writes go on into the outbox) while the broker is down, up again after', async () => {
    await expect(gw.http.get('/health/ready')).resolves.toMatchObject({
      status: 200,
      body: { status: 'ok', checks: { database: { status: 'up' }, kafka: { status: 'up' } } },
    });

    await kafka.proxy.cut();
    expect((await gw.http.as(gw.token('health-user')).post('/v1/chat/messages', aUserMessage())).status).toBe(201);
    await eventually(async () =>
      expect(await gw.http.get('/health/ready')).toMatchObject({
        status: 200,
        body: { status: 'degraded', checks: { database: { status: 'up' }, kafka: { status: 'down', error: expect.any(String) } } },
      }),
    );

    await kafka.proxy.restore();
    await eventually(async () => expect((await gw.http.get('/health/ready')).body).toMatchObject({ status: 'ok', checks: { kafka: { status: 'up' } } }), {
      timeoutMs: 10_000,
    });
  });

  it('without the relay the check is absent', async () => {
    const plain = await startGateway();
    try {
      await expect(plain.http.get('/health/ready')).resolves.toMatchObject({ status: 200, body: { status: 'ok', checks: { database: { status: 'up' } } } });
      expect((await plain.http.get('/health/ready')).body.checks.kafka).toBeUndefined();
    } finally {
      await plain.close();
    }
  });
});
