import type { CliCommand } from '../cli-command';
import { runOutboxAdmin } from './outbox-admin-cli';

function ranges(shards: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < shards.length; i++) {
    let j = i;
    while (j + 1 < shards.length && shards[j + 1] === shards[j]! + 1) j++;
    out.push(i === j ? `${shards[i]}` : `${shards[i]}-${shards[j]}`);
    i = j;
  }
  return out.join(',') || 'none';
}

/** `npm run cli -- outbox:stats`: the numbers of GET /v1/admin/outbox/stats. */
export const outboxStatsCommand: CliCommand<{ json: boolean }> = {
  name: 'outbox:stats',
  summary: 'outbox backlog, oldest pending age, dead rows, published in the last minute, relays and their shards',
  define: (command) => command.option('--json', 'print the numbers as JSON', false),
  async run({ options: { json } }, env) {
    return runOutboxAdmin(env, 'outbox:stats', async (service) => {
      const s = await service.stats();
      if (json) {
        env.out(JSON.stringify(s, null, 2));
        return 0;
      }
      env.out(`pending                 ${s.pending}${s.retrying ? ` (${s.retrying} waiting for a retry)` : ''}`);
      env.out(`oldest pending age      ${s.oldest_pending_age_seconds === null ? '-' : `${s.oldest_pending_age_seconds.toFixed(1)} s`}`);
      env.out(`dead                    ${s.dead}${s.dead ? '   (each holds back the later rows of its user: outbox:retry <id> or outbox:skip <id>)' : ''}`);
      env.out(`held users              ${s.held_users_count}${s.held_users_count ? '   (outbox:list --held)' : ''}`);
      for (const h of s.held_users) {
        env.out(
          `  ${h.user_id}  behind ${h.blocking_status} row ${h.blocking_id} (${h.attempts} attempts): ${(h.last_error ?? '-').replace(/\s+/g, ' ').slice(0, 80)}`,
        );
      }
      env.out(`published last minute   ${s.published_last_minute}`);
      env.out(`relays                  ${s.relays.length}`);
      for (const r of s.relays) env.out(`  ${r.instance_id}  (backend pid ${r.pid})  ${r.shards.length} shards: ${ranges(r.shards)}`);
      env.out(`unassigned shards       ${ranges(s.unassigned_shards)}`);
      return 0;
    });
  },
};
