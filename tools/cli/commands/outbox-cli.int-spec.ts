import { userInfo } from 'node:os';
import { DataSource } from 'typeorm';
import { migratedDatabase } from '@chat-ledger/outbox/testing';
import { cliTestEnv } from '../cli-test-env';
import { buildCliProgram, runCli } from '../cli-program';

// The outbox:* CLI commands against a real, migrated database (no relay running: rows stay as seeded).

describe('outbox CLI commands', () => {
  let dataSource: DataSource;
  let url: string;

  beforeAll(async () => {
    ({ url, dataSource } = await migratedDatabase('outbox_cli'));
  });
  afterAll(() => dataSource?.destroy());

  async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const { env, out, err } = cliTestEnv(url);
    const code = await runCli(argv, env);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  async function seed(user: string, status: 'pending' | 'published' | 'dead', n = 1): Promise<number[]> {
    const rows: Array<{ id: number }> = await dataSource.query(
      `INSERT INTO outbox.events (event_id, event_type, partition_key, payload, status, attempts, last_error, published_at)
       SELECT gen_random_uuid(), 'chat.message.recorded', $1, '{}'::jsonb, $2::text, CASE WHEN $2::text = 'dead' THEN 20 ELSE 0 END,
              CASE WHEN $2::text = 'dead' THEN 'broker said no' END, CASE WHEN $2::text = 'published' THEN now() END
         FROM generate_series(1, $3) RETURNING id::int`,
      [user, status, n],
    );
    return rows.map((r) => r.id);
  }

  it('registers the outbox commands', () => {
    const program = buildCliProgram(cliTestEnv(url).env, () => undefined);
    expect(program.commands.map((c) => c.name())).toEqual(
      expect.arrayContaining(['outbox:stats', 'outbox:list', 'outbox:replay', 'outbox:retry', 'outbox:skip']),
    );
  });

  it('outbox:stats prints the numbers', async () => {
    await seed('cli-stats', 'pending', 2);
    await seed('cli-stats', 'dead', 1);
    await seed('cli-stats', 'published', 3);
    const { code, out } = await cli('outbox:stats');
    expect(code).toBe(0);
    expect(out).toMatch(/^pending\s+2$/m);
    expect(out).toMatch(/^dead\s+1 /m);
    expect(out).toMatch(/^published last minute\s+3$/m);
    expect(out).toMatch(/^relays\s+0$/m);
    expect(out).toMatch(/^unassigned shards\s+0-63$/m);
    const json = await cli('outbox:stats', '--json');
    expect(JSON.parse(json.out)).toMatchObject({ pending: 2, dead: 1, published_last_minute: 3, relays: [] });
  });

  it('outbox:list filters, sorts, pages, and rejects bad options like the API', async () => {
    const ids = await seed('cli-list', 'dead', 3);
    const first = await cli('outbox:list', '--status', 'dead', '--user-id', 'cli-list', '--limit', '2', '--sort', 'id');
    expect(first.code).toBe(0);
    const listed = (s: string) => [...s.matchAll(/^\s+(\d+)\s+dead\s/gm)].map((m) => Number(m[1]));
    expect(listed(first.out)).toEqual(ids.slice(0, 2));
    const cursor = /more: --cursor (\S+)/.exec(first.out)![1]!;
    const second = await cli('outbox:list', '--status', 'dead', '--user-id', 'cli-list', '--limit', '2', '--sort', 'id', '--cursor', cursor);
    expect(listed(second.out)).toEqual(ids.slice(2));
    expect(second.out).toContain('(end)');
    expect(second.out).toContain('broker said no');

    const bad = await cli('outbox:list', '--limit', '0', '--status', 'lost');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('limit: must not be less than 1');
    expect(bad.err).toContain('status: must be one of the following values');
  });

  it('outbox:replay: --dry-run counts; a replay sets the rows back to pending and records actor cli:<os user>', async () => {
    const ids = await seed('cli-replay', 'published', 4);
    const dry = await cli('outbox:replay', '--from-id', String(ids[1]), '--to-id', String(ids[2]), '--user-id', 'cli-replay', '--dry-run');
    expect(dry).toMatchObject({ code: 0, out: 'dry run: 2 rows would be published again (nothing changed)' });
    expect((await dataSource.query(`SELECT count(*)::int AS n FROM outbox.replays`))[0].n).toBe(0);

    const real = await cli('outbox:replay', '--from-id', String(ids[1]), '--to-id', String(ids[2]), '--user-id', 'cli-replay');
    expect(real.code).toBe(0);
    expect(real.out).toMatch(/^replay [0-9a-f-]{36} by cli:\S+: 2 rows set back to pending/);
    const statuses = await dataSource.query(`SELECT id::int, status FROM outbox.events WHERE partition_key = 'cli-replay' ORDER BY id`);
    expect(statuses.map((r: { status: string }) => r.status)).toEqual(['published', 'pending', 'pending', 'published']);
    const [audit] = await dataSource.query(`SELECT actor, filter, matched FROM outbox.replays`);
    expect(audit).toEqual({ actor: `cli:${userInfo().username}`, filter: { from_id: ids[1], to_id: ids[2], user_ids: ['cli-replay'] }, matched: 2 });

    const bad = await cli('outbox:replay', '--from-id', '9', '--to-id', '3');
    expect(bad).toMatchObject({ code: 2, err: expect.stringContaining('from_id: must not be greater than to_id') });
  });

  it('outbox:retry brings a dead row back; not dead → 1, unknown → 1, not an id → 2', async () => {
    const [id] = await seed('cli-retry', 'dead');
    const ok = await cli('outbox:retry', String(id));
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`outbox row ${id} `);
    expect((await dataSource.query(`SELECT status, attempts FROM outbox.events WHERE id = $1`, [id]))[0]).toEqual({ status: 'pending', attempts: 0 });
    await expect(cli('outbox:retry', String(id))).resolves.toMatchObject({ code: 1, err: expect.stringContaining('is pending, not dead') });
    await expect(cli('outbox:retry', '987654321')).resolves.toMatchObject({ code: 1, err: expect.stringContaining('not found') });
    await expect(cli('outbox:retry', 'abc')).resolves.toMatchObject({ code: 2 });
  });

  it('outbox:skip sets a dead row aside with its reason and actor; the held rows of its user show in --held and stats until then', async () => {
    const [dead] = await seed('cli-skip', 'dead');
    const held = await seed('cli-skip', 'pending', 2);
    const listed = await cli('outbox:list', '--held', '--user-id', 'cli-skip', '--json');
    expect(listed.code).toBe(0);
    expect(
      JSON.parse(listed.out)
        .list.map((r: { id: number }) => r.id)
        .sort(),
    ).toEqual([...held].sort());
    const stats = await cli('outbox:stats');
    expect(stats.out).toMatch(new RegExp(`^  cli-skip  behind dead row ${dead} \\(20 attempts\\): broker said no$`, 'm'));

    await expect(cli('outbox:skip', String(dead))).resolves.toMatchObject({ code: 2, err: expect.stringContaining('reason') });
    await expect(cli('outbox:skip', String(dead), '--reason', '  ')).resolves.toMatchObject({ code: 2 });
    expect((await dataSource.query(`SELECT status FROM outbox.events WHERE id = $1`, [dead]))[0]).toEqual({ status: 'dead' });

    const ok = await cli('outbox:skip', String(dead), '--reason', 'refunded by hand');
    expect(ok).toMatchObject({ code: 0, out: expect.stringContaining(`outbox row ${dead} `) });
    expect((await dataSource.query(`SELECT status FROM outbox.events WHERE id = $1`, [dead]))[0]).toEqual({ status: 'skipped' });
    const [audit] = await dataSource.query(`SELECT actor, reason FROM outbox.skips WHERE outbox_id = $1`, [dead]);
    expect(audit).toEqual({ actor: `cli:${userInfo().username}`, reason: 'refunded by hand' });
    await expect(cli('outbox:list', '--held', '--user-id', 'cli-skip', '--json').then((r) => JSON.parse(r.out).list)).resolves.toEqual([]);
    await expect(cli('outbox:skip', String(dead), '--reason', 'again')).resolves.toMatchObject({ code: 1, err: expect.stringContaining('not dead') });
    await expect(cli('outbox:skip', 'x1', '--reason', 'whatever')).resolves.toMatchObject({ code: 2 });
  });
});
