import { aUserId, EndpointSpec, FieldSpec, FuzzCase, fuzzFailures, generateFuzzCases, SeededRandom } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from './gateway-test-app';

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const BODY_LIMIT = 64 * 1024;
const MESSAGE_MAX = 4096;

const usage: FieldSpec = {
  kind: 'object',
  fields: {
    prompt_tokens: { kind: 'count', required: true },
    completion_tokens: { kind: 'count', required: true },
    cached_tokens: { kind: 'count' },
    reasoning_tokens: { kind: 'count' },
    total_tokens: { kind: 'count' },
  },
};
const messageFields: Record<string, FieldSpec> = {
  role: { kind: 'enum', required: true },
  content: { kind: 'required-text', required: true, maxLength: MESSAGE_MAX },
  model: { kind: 'text', maxLength: 100 },
  usage,
};
const validMessage = () => ({ role: 'assistant', content: 'Paris.', model: 'gpt-4o', usage: { prompt_tokens: 3, completion_tokens: 2 } });

/**
 * Seeded HTTP fuzzing of the gateway endpoints that take input: thousands of invalid requests, each answered with a
 * 4xx and the JSON error body, never a 5xx, and the database unchanged afterwards.
 */
describe(`gateway HTTP fuzzing (seed ${SEED})`, () => {
  let gw: GatewayTestApp;
  let user: string;
  let conversationId: string;
  let messageId: string;
  beforeAll(async () => {
    gw = await startGateway({ env: { BODY_LIMIT_BYTES: String(BODY_LIMIT), MESSAGE_MAX_BYTES: String(MESSAGE_MAX), RATE_LIMIT_WRITES_PER_SECOND: '0' } });
    user = aUserId();
    const created = await gw.http.as(gw.token(user)).post('/v1/chat/messages', validMessage());
    conversationId = created.body.conversation_id;
    messageId = created.body.message_id;
  });
  afterAll(() => gw.close());

  it('answers every invalid request with a 4xx JSON error and writes nothing', async () => {
    const random = new SeededRandom(SEED);
    const id = () => conversationId;
    const endpoints: EndpointSpec[] = [
      {
        name: 'create conversation',
        method: 'POST',
        path: '/v1/conversations',
        emptyBodyValid: true,
        body: () => ({ title: 'x', model: 'gpt-4o', system_prompt: 'Be brief.' }),
        fields: { title: { kind: 'text', maxLength: 200 }, model: { kind: 'text', maxLength: 100 }, system_prompt: { kind: 'text', maxLength: 65_536 } },
      },
      { name: 'list conversations', method: 'GET', path: '/v1/conversations', query: { page: 'int', page_size: 'int', status: 'enum' } },
      { name: 'get conversation', method: 'GET', path: '/v1/conversations/:id', params: { id: id() } },
      {
        name: 'update conversation',
        method: 'PATCH',
        path: '/v1/conversations/:id',
        params: { id: id() },
        body: () => ({ title: 'renamed', status: 'archived' }),
        fields: { title: { kind: 'text', maxLength: 200 }, status: { kind: 'enum' } },
      },
      { name: 'delete conversation', method: 'DELETE', path: '/v1/conversations/:id', params: { id: id() } },
      {
        name: 'post message',
        method: 'POST',
        path: '/v1/conversations/:id/messages',
        params: { id: id() },
        body: validMessage,
        fields: messageFields,
        idempotent: true,
      },
      {
        name: 'chat message',
        method: 'POST',
        path: '/v1/chat/messages',
        idempotent: true,
        body: () => ({ ...validMessage(), conversation_id: id() }),
        fields: { ...messageFields, conversation_id: { kind: 'uuid' } },
      },
      { name: 'history', method: 'GET', path: '/v1/conversations/:id/messages', params: { id: id() }, query: { limit: 'int', cursor: 'cursor' } },
    ];
    const userToken = await gw.token(user);
    const cases: Array<FuzzCase & { token: string }> = endpoints.flatMap((e) =>
      generateFuzzCases(e, { random, bodyLimitBytes: BODY_LIMIT, extra: 400 }).map((c) => ({ ...c, token: userToken })),
    );
    const adjustment: EndpointSpec = {
      name: 'token adjustment',
      method: 'POST',
      path: '/v1/token-adjustments',
      idempotent: true,
      body: () => ({ user_id: user, message_id: messageId, tokens_delta: -3, reason: 'refund', triggered_at: '2026-11-23T10:00:00Z' }),
      fields: {
        user_id: { kind: 'user-id', required: true },
        conversation_id: { kind: 'uuid' },
        message_id: { kind: 'uuid' },
        tokens_delta: { kind: 'signed-int', required: true },
        reason: { kind: 'slug', required: true },
        triggered_at: { kind: 'time', required: true },
      },
    };
    const serviceToken = await gw.token('svc', ['tokens:adjust']);
    cases.push(...generateFuzzCases(adjustment, { random, bodyLimitBytes: BODY_LIMIT, extra: 400 }).map((c) => ({ ...c, token: serviceToken })));
    const operator = await gw.token('ops', ['outbox:admin']);
    const adminEndpoints: EndpointSpec[] = [
      {
        name: 'outbox list',
        method: 'GET',
        path: '/v1/admin/outbox',
        query: { status: 'enum', user_id: 'user-id', from: 'time', to: 'time', sort: 'enum', limit: 'int', cursor: 'cursor' },
      },
      { name: 'outbox retry', method: 'POST', path: '/v1/admin/outbox/:id/retry', params: { id: '1' } },
      {
        name: 'outbox skip',
        method: 'POST',
        path: '/v1/admin/outbox/:id/skip',
        params: { id: '1' },
        body: () => ({ reason: 'poison payload, reissued by hand' }),
        fields: { reason: { kind: 'required-text', required: true, maxLength: 500 } },
      },
      {
        name: 'outbox replay',
        method: 'POST',
        path: '/v1/admin/outbox/replay',
        emptyBodyValid: true, // no filter: everything retained, the documented rebuild
        // a dry run, so a case the spec got wrong (a valid request) would only count rows, and fail the check
        body: () => ({ from_id: 1, to_id: 10, dry_run: true }),
        fields: {
          from_id: { kind: 'amount' },
          to_id: { kind: 'amount' },
          from: { kind: 'time', futureValid: true },
          to: { kind: 'time', futureValid: true },
        },
      },
    ];
    cases.push(...adminEndpoints.flatMap((e) => generateFuzzCases(e, { random, bodyLimitBytes: BODY_LIMIT })).map((c) => ({ ...c, token: operator })));
    // PUT endpoints whose path names a user or a record by free text (a user id, a source and an external id): any
    // such value is a valid name, so only the bodies are fuzzed, under names of their own.
    const budgetBody = () => ({ period: 'month', tz: 'Europe/Berlin', limit_tokens: 100_000, limit_cost_micros: 5_000_000, mode: 'hard' });
    const budgetFields: Record<string, FieldSpec> = {
      period: { kind: 'enum', required: true },
      tz: { kind: 'text', required: true },
      limit_tokens: { kind: 'amount' },
      limit_cost_micros: { kind: 'amount' },
      mode: { kind: 'enum', required: true },
      round_reservation_tokens: { kind: 'count' },
    };
    const budgetAdmin = await gw.token('ops', ['budgets:admin']);
    const budgetEndpoints: EndpointSpec[] = [
      { name: 'put user budget', method: 'PUT', path: `/v1/admin/users/${user}/budget`, body: budgetBody, fields: budgetFields },
      { name: 'put org budget', method: 'PUT', path: '/v1/admin/orgs/fuzz-org/budget', body: budgetBody, fields: budgetFields },
    ];
    cases.push(
      ...budgetEndpoints.flatMap((e) => generateFuzzCases(e, { random, bodyLimitBytes: BODY_LIMIT, extra: 100 })).map((c) => ({ ...c, token: budgetAdmin })),
    );
    const usageRecord: EndpointSpec = {
      name: 'put usage record',
      method: 'PUT',
      path: '/v1/usage-records/agents/fuzz-run-1',
      body: () => ({ user_id: user, model: 'gpt-4o', usage: { prompt_tokens: 3, completion_tokens: 2 }, occurred_at: '2026-11-23T10:00:00Z', revision: 1 }),
      fields: {
        user_id: { kind: 'user-id', required: true },
        conversation_id: { kind: 'uuid' },
        model: { kind: 'text', maxLength: 100 },
        usage: { ...usage, required: true },
        occurred_at: { kind: 'time', required: true },
        revision: { kind: 'amount', required: true },
      },
    };
    const meter = await gw.token('agents', ['usage:write']);
    cases.push(...generateFuzzCases(usageRecord, { random, bodyLimitBytes: BODY_LIMIT, extra: 200 }).map((c) => ({ ...c, token: meter })));
    // Tasks: one open task of the worker's, whose heartbeat and completion are fuzzed (free-text ids that any value
    // satisfies, such as external_id and an empty message, are left out).
    const worker = await gw.token('fuzz-worker', ['tasks:write']);
    const task = await gw.http
      .as(worker)
      .post('/v1/tasks', { source: 'fuzz', external_id: 'fuzz-task-1', kind: 'title_generation', user_id: user, total_items: 10 });
    if (task.status !== 201) throw new Error(`creating the fuzzed task: ${task.status} ${JSON.stringify(task.body)}`);
    const taskId: string = task.body.task_id;
    const taskEndpoints: EndpointSpec[] = [
      {
        name: 'create task',
        method: 'POST',
        path: '/v1/tasks',
        body: () => ({ source: 'fuzz', external_id: 'fuzz-task-2', kind: 'title_generation', user_id: user, total_items: 10, metadata: { step: 1 } }),
        fields: {
          source: { kind: 'user-id', required: true },
          kind: { kind: 'slug', required: true },
          user_id: { kind: 'user-id', required: true },
          conversation_id: { kind: 'uuid' },
          client_id: { kind: 'text', maxLength: 128 },
          total_items: { kind: 'amount' },
          metadata: { kind: 'object' },
        },
      },
      {
        name: 'task heartbeat',
        method: 'PATCH',
        path: '/v1/tasks/:id',
        params: { id: taskId },
        emptyBodyValid: true, // a heartbeat with nothing new to report
        body: () => ({ status: 'running', progress: 40, processed_items: 4 }),
        fields: { status: { kind: 'enum' }, progress: { kind: 'count' }, processed_items: { kind: 'amount' } },
      },
      {
        name: 'task completion',
        method: 'POST',
        path: '/v1/tasks/:id/complete',
        params: { id: taskId },
        body: () => ({ outcome: 'succeeded', model: 'gpt-4o', usage: { prompt_tokens: 3, completion_tokens: 2 } }),
        fields: { outcome: { kind: 'enum', required: true }, error: { kind: 'text', maxLength: 2000 }, model: { kind: 'text', maxLength: 100 }, usage },
      },
    ];
    const taskReader = await gw.token('ops', ['tasks:read']);
    const runningTasks: EndpointSpec = {
      name: 'running tasks',
      method: 'GET',
      path: '/v1/tasks/running',
      query: { kind: 'slug', user_id: 'user-id', stalled: 'bool', sort: 'enum', limit: 'int', cursor: 'cursor' },
    };
    cases.push(...generateFuzzCases(runningTasks, { random, bodyLimitBytes: BODY_LIMIT }).map((c) => ({ ...c, token: taskReader })));
    cases.push(...taskEndpoints.flatMap((e) => generateFuzzCases(e, { random, bodyLimitBytes: BODY_LIMIT, extra: 100 })).map((c) => ({ ...c, token: worker })));
    const before = await snapshot();

    const failures = await fuzzFailures(gw.http.baseUrl, cases);

    process.stdout.write(`gateway fuzz: ${cases.length} cases, seed ${SEED}, ${failures.length} failures\n${failures.slice(0, 30).join('\n')}\n`);
    expect(cases.length).toBeGreaterThan(2000);
    expect(failures).toEqual([]);
    await expect(snapshot()).resolves.toEqual(before);
  });

  async function snapshot() {
    const { rows } = await gw.db.query(`SELECT
      (SELECT count(*) FROM chat.conversations) AS conversations, (SELECT count(*) FROM chat.messages) AS messages,
      (SELECT count(*) FROM outbox.events) AS outbox, (SELECT count(*) FROM chat.idempotency_keys) AS keys,
      (SELECT md5(string_agg(id::text || title || status || message_count, ',' ORDER BY id)) FROM chat.conversations) AS digest,
      (SELECT count(*) FROM chat.budgets) AS budgets, (SELECT count(*) FROM chat.org_budgets) AS org_budgets,
      (SELECT count(*) FROM chat.budget_changes) AS budget_changes, (SELECT count(*) FROM chat.usage_records) AS usage_records,
      (SELECT count(*) FROM chat.usage_record_revisions) AS usage_record_revisions,
      (SELECT count(*) FROM outbox.replays) AS replays, (SELECT count(*) FROM outbox.skips) AS skips,
      (SELECT md5(string_agg(id::text || status || progress || processed_items || last_update_at::text, ',' ORDER BY id)) FROM chat.tasks) AS tasks`);
    return rows[0];
  }
});
