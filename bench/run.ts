import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { EmbeddedPostgresServer, buildDataSourceOptions, runMigrations } from '@chat-ledger/database';
import { CHAT_MIGRATIONS, CHAT_SCHEMA } from '../apps/chat-gateway/src/database/chat-migrations';
import { rawWriteTps } from './scenarios/write-path.bench';
import { findFreePort } from '@chat-ledger/testing';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const NOT_DONE = 'not implemented yet (issue 6 is partial: only scenario 1a exists)';

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const seconds = quick ? 3 : 10;
  const root = mkdtempSync(join(tmpdir(), 'chat-ledger-bench-'));
  chmodSync(root, 0o755);
  const pg = await EmbeddedPostgresServer.start({ dataDir: join(root, 'pg'), port: await findFreePort(), persistent: false, postgresFlags: [] });
  try {
    const ds = new DataSource(buildDataSourceOptions({ url: pg.url, schema: CHAT_SCHEMA, migrations: CHAT_MIGRATIONS, applicationName: 'bench' }));
    await ds.initialize();
    await runMigrations(ds, CHAT_SCHEMA);
    await ds.destroy();
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) runs.push(await rawWriteTps(pg.url, 8, seconds));
    const noNotify: number[] = [];
    for (let i = 0; i < 3; i++) noNotify.push(await rawWriteTps(pg.url, 8, seconds, false));
    const result = {
      machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model, mem_gib: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, quick },
      write: { raw_tps: Math.round(median(runs)), raw_runs: runs.map(Math.round), raw_tps_without_notify_trigger: Math.round(median(noNotify)), gateway_tps: null, gateway_no_outbox_tps: null, ratio_vs_raw: null, outbox_overhead: null, note: NOT_DONE },
      relay: { raw_produce_eps: null, relay_eps: null, ratio: null, note: NOT_DONE },
      ledger: { raw_consume_eps: null, ledger_eps: null, naive_eps: null, ratio_vs_raw: null, ratio_vs_naive: null, note: NOT_DONE },
      e2e: { note: NOT_DONE }, peer: { note: NOT_DONE }, growth: [],
    };
    console.log('| metric | value |\n|---|---|');
    console.log(`| write.raw_tps (pg, 8 clients, message+outbox tx, median of 3 × ${seconds}s) | ${result.write.raw_tps} |`);
    console.log(`| write.raw_tps with the outbox NOTIFY trigger disabled (diagnostic) | ${result.write.raw_tps_without_notify_trigger} |`);
    console.log(`| everything else | ${NOT_DONE} |`);
    mkdirSync(join(__dirname, '..', '..', 'bench', 'results'), { recursive: true });
    writeFileSync(join(__dirname, '..', '..', 'bench', 'results', 'latest.json'), JSON.stringify(result, null, 2) + '\n');
  } finally {
    await pg.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
