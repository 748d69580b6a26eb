import { readdirSync, readFileSync } from 'node:fs';

/** Who used the machine's CPU: the apps, the servers and the bench itself. */
export type CpuGroup = 'gateway' | 'ledger' | 'relay' | 'postgres' | 'kafka' | 'load' | 'bench' | 'other';

/** Seconds of CPU (user + system) used so far by the live processes of each group. */
export type CpuSnapshot = Map<number, { group: CpuGroup; seconds: number }>;

// Linux reports CPU times in clock ticks; USER_HZ is 100 on every mainstream kernel (getconf CLK_TCK).
const TICKS_PER_SECOND = 100;

function groupOf(cmdline: string): CpuGroup {
  if (cmdline.includes('chat-gateway')) return 'gateway';
  if (cmdline.includes('ledger-consumer')) return 'ledger';
  if (cmdline.includes('outbox-relay')) return 'relay';
  if (cmdline.includes('postgres')) return 'postgres';
  if (cmdline.includes('java')) return 'kafka';
  if (cmdline.includes('/bench/load/')) return 'load';
  if (cmdline.includes('/bench/run')) return 'bench';
  return 'other';
}

/** Every process's CPU time so far (from /proc; empty where there is no /proc). */
export function cpuSnapshot(): CpuSnapshot {
  const out: CpuSnapshot = new Map();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces and parentheses): state is field 3, utime 14, stime 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      // The program and its first argument that is no option (a node script), not the rest: a load process's
      // arguments hold database URLs.
      const [program = '', ...args] = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const cmdline = `${program} ${args.find((a) => !a.startsWith('-')) ?? ''}`;
      out.set(Number(pid), { group: groupOf(cmdline), seconds: ticks / TICKS_PER_SECOND });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * Cores used by each group between two snapshots (CPU seconds / wall seconds); a process that started in between
 * counts from zero, one that ended is missed (its last seconds are not in the second snapshot).
 */
export function coresUsed(before: CpuSnapshot, after: CpuSnapshot, wallSeconds: number): Partial<Record<CpuGroup, number>> {
  const sums: Partial<Record<CpuGroup, number>> = {};
  for (const [pid, now] of after) {
    const used = now.seconds - (before.get(pid)?.seconds ?? 0);
    sums[now.group] = (sums[now.group] ?? 0) + used;
  }
  const out: Partial<Record<CpuGroup, number>> = {};
  for (const [group, seconds] of Object.entries(sums) as Array<[CpuGroup, number]>) {
    const cores = Math.round((seconds / wallSeconds) * 100) / 100;
    if (cores > 0) out[group] = cores;
  }
  return out;
}
