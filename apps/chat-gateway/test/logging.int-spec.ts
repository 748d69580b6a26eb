import { aUserId, anAssistantMessage } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from './gateway-test-app';

describe('logs at the default level', () => {
  let gw: GatewayTestApp;
  const lines: string[] = [];
  beforeAll(async () => {
    gw = await startGateway({ env: { LOG_LEVEL: 'info' }, logLines: lines });
  });
  afterAll(() => gw.close());

  it('are JSON with a request id, and carry no message contents, tokens or secrets — also when a write fails', async () => {
    const user = aUserId();
    const token = await gw.token(user);
    const api = gw.http.as(token);
    const secretContent = 'SECRET-CONTENT-7f3a9c';
    const res = await api.post('/v1/chat/messages', anAssistantMessage({ prompt_tokens: 31337, completion_tokens: 1 }, { content: secretContent }), {
      'x-request-id': 'req-logging-test',
    });
    expect(res.status).toBe(201);
    await api.post('/v1/chat/messages', { role: 'user', content: secretContent, bogus: secretContent });
    await gw.db.query(`CREATE FUNCTION chat.fail_log_test() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected'; END $$;
      CREATE TRIGGER fail_log_test BEFORE INSERT ON outbox.events FOR EACH ROW EXECUTE FUNCTION chat.fail_log_test();`);
    try {
      await expect(api.post('/v1/chat/messages', anAssistantMessage(undefined, { content: secretContent }))).resolves.toMatchObject({ status: 500 });
    } finally {
      await gw.db.query(`DROP TRIGGER fail_log_test ON outbox.events; DROP FUNCTION chat.fail_log_test();`);
    }

    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(() => JSON.parse(line)).not.toThrow();
      expect(line).not.toContain(secretContent);
      expect(line).not.toContain('31337');
      expect(line).not.toContain(token);
    }
    const access = lines.map((l) => JSON.parse(l)).find((l) => l.request_id === 'req-logging-test');
    expect(access).toMatchObject({ level: 'info', msg: 'request', method: 'POST', path: '/v1/chat/messages', status: 201, user_id: user });
    expect(lines.some((l) => JSON.parse(l).level === 'error')).toBe(true);
  });
});
