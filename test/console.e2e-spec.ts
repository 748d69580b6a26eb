import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { issueToken } from '@chat-ledger/platform';
import { aUserId, createTestDatabase, createTestTopic, eventually, findFreePort, testKafkaBrokers } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from '../apps/chat-gateway/test/gateway-test-app';
import { TestProducer } from '../apps/ledger-consumer/test/events';
import { LedgerTestApp, startLedger, TEST_KAFKA_ENV } from '../apps/ledger-consumer/test/ledger-test-app';

const ROOT = resolve(__dirname, '..');
/** Debian's Chromium (`apt-get install chromium`); the test tool never downloads a browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots of every page, for people to look at (git-ignored). */
const SHOTS = join(ROOT, '.screenshots');

/** The console as `npm run build` builds it, into a folder of this run (so the test always sees the current source). */
async function buildConsole(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'chat-ledger-console-'));
  await promisify(execFile)(
    process.execPath,
    [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', join(ROOT, 'apps/console'), '--outDir', outDir, '--emptyOutDir'],
    {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
  return outDir;
}

/**
 * The operators' console in a real browser (Debian's Chromium, headless, driven by playwright-core) against the
 * gateway with its relay and the ledger-consumer on the suite's PostgreSQL and Apache Kafka: usage posted through
 * the API a moment before shows with its exact figures, the time zone moves the buckets, CSV export, a replay's
 * dry run, a dead row retried until published, dead letters shown as escaped text, a budget's field error, running
 * tasks with a stalled one failed by the operator.
 */
describe('operators’ console in a browser', () => {
  const secret = randomBytes(32).toString('hex');
  const ada = aUserId('ada');
  const bob = aUserId('bob');
  let gw: GatewayTestApp;
  let ledger: LedgerTestApp;
  let topic: string;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  const text = async (selector: string) => ((await page.locator(selector).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const waitFor = <T>(assertion: () => Promise<T>, timeoutMs = 15_000) => eventually(assertion, { timeoutMs, intervalMs: 100 });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const [consoleDir, topicName, databaseUrl, port] = await Promise.all([
      buildConsole(),
      createTestTopic('console', 4),
      createTestDatabase('console'),
      findFreePort(),
    ]);
    topic = topicName;
    base = `http://127.0.0.1:${port}`;
    const kafka = { KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: '4' };
    ledger = await startLedger({ brokers: testKafkaBrokers(), databaseUrl, jwtSecret: secret, env: { ...kafka, ...TEST_KAFKA_ENV, CONSOLE_ORIGIN: base } });
    gw = await startGateway({
      databaseUrl,
      jwtSecret: secret,
      port,
      env: {
        ...kafka,
        RELAY_ENABLED: 'true',
        KAFKA_BROKERS: testKafkaBrokers(),
        OUTBOX_POLL_INTERVAL: '200ms',
        LEDGER_PUBLIC_URL: ledger.http.baseUrl,
        CONSOLE_DIR: consoleDir,
      },
    });
    const prices = ledger.http.as(issueToken({ userId: 'finance', scopes: ['prices:admin'] }, secret));
    for (const [model, input, output] of [
      ['gpt-4o', '2.50', '10.00'],
      ['gpt-4o-mini', '0.15', '0.60'],
    ] as const) {
      await expect(
        prices.put(`/v1/admin/prices/${model}`, { effective_from: '2020-01-01T00:00:00Z', input_per_mtok: input, output_per_mtok: output }),
      ).resolves.toMatchObject({ status: 201 });
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    context = await browser.newContext({ locale: 'en-US', timezoneId: 'Europe/Berlin', viewport: { width: 1360, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    // Errors in the page's console (a CSP violation is one), except the network log of answers the test expects
    // (404 for a user without a budget, 400 for a bad field): those are what the page shows, not failures.
    page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => problems.push(`a script opened a ${d.type()} dialog: ${d.message()}`));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await ledger?.close();
    await gw?.close();
  });

  it('serves the console’s files with their content types, cache headers and a CSP that allows nothing external', async () => {
    const index = await fetch(`${base}/console/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain(`connect-src 'self' ${ledger.http.baseUrl}`);
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await index.text();
    expect(html).not.toMatch(/<script>|<style|https?:\/\//); // no inline script or style, nothing from elsewhere
    const assets = [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    for (const asset of assets) {
      const res = await fetch(`${base}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-type')).toBe(
        asset.endsWith('.js') ? 'text/javascript; charset=utf-8' : asset.endsWith('.css') ? 'text/css; charset=utf-8' : 'image/svg+xml',
      );
    }
    const again = await fetch(`${base}/console/`, { headers: { 'if-none-match': index.headers.get('etag')! } });
    expect(again.status).toBe(304);
    await expect(fetch(`${base}/console/config.json`).then((r) => r.json())).resolves.toEqual({ ledger_url: ledger.http.baseUrl });
    expect((await fetch(`${base}/console`, { redirect: 'manual' })).headers.get('location')).toBe('/console/');
    // Only files of the build are served, and the APIs stay behind the guard.
    await expect(fetch(`${base}/console/assets/..%2F..%2Fpackage.json`)).resolves.toMatchObject({ status: 404 });
    await expect(fetch(`${base}/console/assets/nope-12345678.js`)).resolves.toMatchObject({ status: 404 });
    await expect(fetch(`${base}/v1/admin/outbox/stats`)).resolves.toMatchObject({ status: 401 });
  });

  it('signs in from the link’s fragment and shows the day’s usage posted a moment before, stacked by model', async () => {
    const post = (user: string, model: string, prompt: number, completion: number) =>
      gw.http
        .as(issueToken({ userId: user }, secret))
        .post('/v1/chat/messages', { role: 'assistant', content: 'answer', model, usage: { prompt_tokens: prompt, completion_tokens: completion } });
    await expect(post(ada, 'gpt-4o', 1200, 300)).resolves.toMatchObject({ status: 201 }); // 1,500 tokens, 3,000 + 3,000 µ$
    await expect(post(ada, 'gpt-4o-mini', 2000, 500)).resolves.toMatchObject({ status: 201 }); // 2,500 tokens, 300 + 300 µ$
    await expect(post(bob, 'gpt-4o', 400, 100)).resolves.toMatchObject({ status: 201 }); // 500 tokens, 1,000 + 1,000 µ$
    const reader = ledger.http.as(issueToken({ userId: 'analyst', scopes: ['usage:read_all'] }, secret));
    await waitFor(async () =>
      expect((await reader.get('/v1/usage/summary?group_by=model')).body.totals).toMatchObject({ tokens_delta: 4500, cost_micros: 8600 }),
    );

    const operator = await issueToken(
      { userId: 'ops', scopes: ['usage:read_all', 'outbox:admin', 'budgets:admin', 'tasks:read', 'tasks:admin'], ttlSeconds: 3600 },
      secret,
    );
    await page.goto(`${base}/console/#token=${operator}`);
    await waitFor(async () => expect(await text('[data-testid=signed-in-user]')).toBe('ops'));
    expect(page.url()).not.toContain('token'); // taken out of the address bar at once
    expect(await page.evaluate(() => Object.values((globalThis as any).sessionStorage))).toContain(operator);
    // Keyboard: the first Tab lands on the skip link.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.textContent)).toBe('Skip to content');

    await page.getByLabel('Range', { exact: true }).selectOption('24h');
    await page.getByLabel('Time zone', { exact: true }).selectOption('UTC');
    expect(await page.getByLabel('Interval', { exact: true }).inputValue()).toBe('hour');
    const footer = (column: string) => text(`[data-testid=summary-table] tfoot td[data-column=${column}]`);
    await waitFor(async () => expect(await footer('tokens_delta')).toBe('4,500'));
    expect(await footer('cost_micros')).toBe('$0.0086');
    expect(await footer('events_count')).toBe('3');
    expect(await text('[data-testid=total-tokens] .card-value')).toBe('4,500 tokens');
    expect(await text('[data-testid=total-cost] .card-value')).toBe('$0.0086');
    const models = () => page.locator('[data-testid=summary-table] tbody th').allTextContents();
    expect(await models()).toEqual(['gpt-4o-mini', 'gpt-4o']); // most tokens first
    await page.locator('[data-testid=summary-table] button[data-column=tokens_delta]').click();
    expect(await models()).toEqual(['gpt-4o', 'gpt-4o-mini']);
    expect(await text('[data-testid=summary-table] tbody tr:first-child td[data-column=tokens_delta]')).toBe('2,000');
    expect(await page.locator('[data-testid=chart-tokens] canvas').getAttribute('aria-label')).toContain('4,500 tokens in all');
    expect(await page.locator('[data-testid=top-users] tbody th').allTextContents()).toEqual([ada, bob]);
    await shot('usage');
  });

  it('moves the buckets when the time zone changes', async () => {
    await page.getByText('The charts’ numbers per hour').click();
    const withEvents = () =>
      page.locator('[data-testid=timeline-table] tbody tr:not([data-events="0"])').evaluateAll((rows) =>
        rows.map((r) => ({
          start: r.querySelector('time')!.getAttribute('datetime')!,
          label: r.querySelector('time')!.textContent!,
          events: Number(r.getAttribute('data-events')),
        })),
      );
    const utc = await withEvents();
    expect(utc.reduce((n, b) => n + b.events, 0)).toBe(3);
    expect(utc.every((b) => /T\d\d:00:00/.test(b.start))).toBe(true);

    await page.getByLabel('Time zone', { exact: true }).selectOption('Asia/Kolkata');
    const kolkata = await waitFor(async () => {
      const buckets = await withEvents();
      expect(buckets.length).toBeGreaterThan(0);
      expect(buckets.every((b) => /T\d\d:30:00/.test(b.start))).toBe(true); // +05:30: local hours start at :30 UTC
      return buckets;
    });
    expect(kolkata.reduce((n, b) => n + b.events, 0)).toBe(3);
    expect(kolkata.map((b) => b.label)).not.toEqual(utc.map((b) => b.label));
    expect(await text('.range-note')).toContain('Asia/Kolkata');
  });

  it('exports the summary as CSV through the API’s Accept: text/csv', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export summary (CSV)' }).click()]);
    expect(download.suggestedFilename()).toBe('usage-summary.csv');
    const csv = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split(/\r?\n/);
    const header = csv[0]!.split(',');
    const rows = csv.slice(1).map((line) => Object.fromEntries(line.split(',').map((v, i) => [header[i], v])));
    expect(rows.map((r) => [r.model, r.tokens_delta, r.cost_micros]).sort()).toEqual([
      ['gpt-4o', '2000', '8000'],
      ['gpt-4o-mini', '2500', '600'],
    ]);
  });

  it('shows a budget and the API’s message next to a bad field', async () => {
    await page.getByRole('link', { name: 'Budgets' }).click();
    await page.getByLabel('User', { exact: true }).fill(ada);
    await page.getByRole('button', { name: 'Show budget' }).click();
    await waitFor(async () => expect(await text('.note-empty')).toContain('has no budget'));
    await page.getByLabel('Time zone of the period', { exact: true }).selectOption('UTC');
    await page.getByLabel('Token limit', { exact: true }).fill('-5');
    await page.getByRole('button', { name: 'Save budget' }).click();
    await waitFor(async () => expect(await text('#budget-limit_tokens-problem')).toMatch(/must not be less than 0/));
    expect(await page.getByLabel('Token limit', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Token limit', { exact: true }).fill('10000');
    await page.getByRole('button', { name: 'Save budget' }).click();
    const figure = (name: string) => text(`[data-testid=budget-tokens] [data-figure=${name}] dd`);
    await waitFor(async () => expect(await figure('used')).toBe('4,000 tokens'));
    expect(await figure('limit')).toBe('10,000 tokens');
    expect(await figure('remaining')).toBe('6,000 tokens');
    await shot('budgets');
  });

  it('replays with a dry run first, and retries a dead row until it is published', async () => {
    const { rows: published } = await gw.db.query(`SELECT id::int FROM outbox.events WHERE partition_key = $1 AND status = 'published' ORDER BY id`, [ada]);
    expect(published).toHaveLength(2);
    await page.getByRole('link', { name: 'Outbox' }).click();
    await page.getByLabel('Users', { exact: true }).fill(ada);
    await page.getByRole('button', { name: 'Dry run: count matching rows' }).click();
    await waitFor(async () => expect(await text('[data-testid=replay-result]')).toBe('Dry run: 2 rows match; a replay publishes them again.'));
    await page.getByRole('button', { name: 'Replay 2 rows…' }).click();
    await page.locator('[data-testid=confirm-replay]').getByRole('button', { name: 'Replay 2 rows' }).click();
    await waitFor(async () => expect(await text('[data-testid=replay-result]')).toMatch(/^Replay [0-9a-f-]{36} started: 2 rows set back to pending/));
    const { rows: replays } = await gw.db.query(`SELECT actor, matched FROM outbox.replays`);
    expect(replays).toEqual([{ actor: 'ops', matched: 2 }]);

    const { rows: bobs } = await gw.db.query(`SELECT id::int FROM outbox.events WHERE partition_key = $1`, [bob]);
    const dead = bobs[0].id as number;
    await gw.db.query(
      `UPDATE outbox.events SET status = 'dead', attempts = 20, last_error = 'test: the topic refused the record (RecordTooLargeException)' WHERE id = $1`,
      [dead],
    );
    // Nobody reloads: the page's polling brings the dead row in.
    const row = page.locator(`[data-testid=dead-rows] tr[data-row="${dead}"]`);
    await waitFor(
      async () => expect(await row.locator('.error-text').textContent()).toBe('test: the topic refused the record (RecordTooLargeException)'),
      12_000,
    );
    expect(await text('[data-testid=stat-dead] .card-value')).toBe('1');
    await shot('outbox');

    await page.getByRole('button', { name: `Retry row #${dead}` }).click();
    const dialog = page.locator('[data-testid=confirm-retry]');
    expect(await dialog.locator('h2').textContent()).toBe(`Retry outbox row #${dead} (chat.message.recorded of user ${bob})?`);
    await dialog.getByRole('button', { name: `Retry row #${dead}` }).click();
    await waitFor(async () => expect(await page.locator(`[data-testid=tracked] li[data-row="${dead}"]`).getAttribute('data-status')).toBe('published'));
    expect(await text(`[data-testid=tracked] li[data-row="${dead}"]`)).toMatch(new RegExp(`row #${dead} .* retried → published`));
    await expect(gw.db.query(`SELECT status FROM outbox.events WHERE id = $1`, [dead])).resolves.toMatchObject({ rows: [{ status: 'published' }] });
    await waitFor(async () => expect(await page.locator('[data-testid=dead-rows]').count()).toBe(0));
  });

  it('lists running tasks with counts, progress and a stalled badge, and fails the stalled one after a confirmation', async () => {
    const worker = gw.http.as(await issueToken({ userId: 'title-worker', scopes: ['tasks:write'] }, secret));
    const start = async (body: Record<string, unknown>, progress: Record<string, unknown>) => {
      const created = await worker.post('/v1/tasks', { source: 'title-worker', user_id: ada, ...body });
      expect(created.status).toBe(201);
      await expect(worker.patch(`/v1/tasks/${created.body.task_id}`, { status: 'running', ...progress })).resolves.toMatchObject({ status: 200 });
      return created.body.task_id as string;
    };
    const live = await start({ external_id: 'job-live', kind: 'title_generation', client_id: 'worker-1' }, { progress: 40 });
    const stuck = await start({ external_id: 'job-stuck', kind: 'summarisation', user_id: bob, total_items: 8 }, { progress: 75, processed_items: 6 });
    // No heartbeat for an hour: stalled (TASK_STALL_AFTER is 5 minutes).
    await gw.db.query(`UPDATE chat.tasks SET last_update_at = now() - interval '1 hour' WHERE id = $1`, [stuck]);

    await page.getByRole('link', { name: 'Tasks' }).click();
    await waitFor(async () => expect(await text('[data-testid=stat-open] .card-value')).toBe('2'));
    expect(await text('[data-testid=stat-stalled] .card-value')).toBe('1');
    expect(await text('[data-testid=stat-running] .card-value')).toBe('2');
    expect(await text('[data-testid=stalled-count]')).toBe('1 stalled');
    expect(await text('[data-testid=by-kind] li[data-kind=summarisation]')).toBe('summarisation 1');
    expect(await text('[data-testid=by-kind] li[data-kind=title_generation]')).toBe('title_generation 1');
    const row = (id: string) => page.locator(`[data-testid=tasks] tr[data-task="${id}"]`);
    expect(await row(stuck).locator('[data-testid=stalled-badge]').count()).toBe(1);
    expect(await row(live).locator('[data-testid=stalled-badge]').count()).toBe(0);
    expect(await row(stuck).locator('.progress-value').textContent()).toBe('75%');
    expect(await row(stuck).locator('td[data-column=progress]').textContent()).toContain('(6 of 8)');
    expect(await row(live).locator('.progress-value').textContent()).toBe('40%');
    expect(
      await row(live)
        .getByRole('progressbar', { name: `Progress of title_generation of user ${ada}` })
        .getAttribute('value'),
    ).toBe('40');
    expect(await row(stuck).locator('td[data-column=user]').textContent()).toBe(bob);
    expect(await row(stuck).locator('td[data-column=last_update] time').textContent()).toMatch(/^1 hour ago/);
    expect(await row(live).locator('td[data-column=cost]').textContent()).toBe('unpriced');
    expect(
      await row(live)
        .getByRole('button', { name: /^Fail task/ })
        .count(),
    ).toBe(0); // only stalled tasks
    await page.getByLabel('Sort', { exact: true }).selectOption('progress');
    await waitFor(async () =>
      expect(await page.locator('[data-testid=tasks] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-task')))).toEqual([live, stuck]),
    );
    await page.getByLabel('Stalled only').check();
    await waitFor(async () => expect(await page.locator('[data-testid=tasks] tbody tr').count()).toBe(1));
    await page.getByLabel('Stalled only').uncheck();
    await waitFor(async () => expect(await page.locator('[data-testid=tasks] tbody tr').count()).toBe(2));
    await shot('tasks');

    await row(stuck)
      .getByRole('button', { name: `Fail task summarisation of user ${bob} (title-worker job-stuck)` })
      .click();
    const dialog = page.locator('[data-testid=confirm-fail]');
    expect(await dialog.locator('h2').textContent()).toBe(`Fail task summarisation of user ${bob} (title-worker job-stuck)?`);
    // The API's problem with the field shows next to it (a NUL character is not text it keeps).
    await dialog.locator('#fail-error').evaluate((el: any) => {
      el.value = 'stuck' + String.fromCharCode(0);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await dialog.getByRole('button', { name: 'Fail task' }).click();
    await waitFor(async () => expect(await text('#fail-error-problem')).toMatch(/without NUL characters/));
    await dialog.getByLabel('Error (kept with the task)').fill('stalled: no heartbeat for an hour');
    await dialog.getByRole('button', { name: 'Fail task' }).click();
    await waitFor(async () => expect(await row(stuck).count()).toBe(0));
    expect(await dialog.isVisible()).toBe(false);
    expect(await text('[data-testid=task-failed-note]')).toContain(`summarisation of user ${bob} (title-worker job-stuck) marked failed`);
    await waitFor(async () => expect(await text('[data-testid=stat-open] .card-value')).toBe('1'));
    expect(await text('[data-testid=stat-stalled] .card-value')).toBe('0');
    expect(await page.locator('[data-testid=stalled-count]').count()).toBe(0);
    await expect(worker.get(`/v1/tasks/${stuck}`)).resolves.toMatchObject({
      status: 200,
      body: { status: 'failed', error: 'stalled: no heartbeat for an hour', completed_by: 'ops' },
    });
  });

  it('shows dead letters with reason, error and the raw bytes as escaped text, and the sequence gaps', async () => {
    const producer = await TestProducer.connect(testKafkaBrokers());
    try {
      await producer.sendRaw(topic, [
        { key: 'mallory', value: Buffer.concat([Buffer.from('<img src=x onerror=alert(1)>{"type":'), Buffer.from([0x00, 0xff])]) },
      ]);
    } finally {
      await producer.disconnect();
    }
    await page.getByRole('link', { name: 'Ledger' }).click();
    const preview = page.locator('[data-testid=dead-letters] tbody tr:first-child td.preview pre').first();
    await waitFor(async () => expect(await preview.textContent()).toBe('<img src=x onerror=alert(1)>{"type":\\x00\\xff'), 12_000);
    expect(await text('[data-testid=dead-letters] tbody tr:first-child td:nth-child(2)')).toBe('not_utf8');
    expect(await page.locator('[data-testid=dead-letters] img').count()).toBe(0); // text, never markup
    expect(await text('[data-testid=stat-gaps] .card-value')).toBe('0');
    await shot('ledger');
    expect(problems).toEqual([]);
  });
});
