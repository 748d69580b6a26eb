import { SeededRandom } from '@chat-ledger/testing';

export type FaultKind = 'kill-relay' | 'kill-ledger' | 'broker-down' | 'broker-errors' | 'pg-drop-connections' | 'slow-network';

export interface Fault {
  kind: FaultKind;
  atMs: number;
  durationMs: number;
  target?: number;
}

/**
 * A reproducible fault timeline: every kind at least once (twice in long runs), spread over the load
 * phase in a seeded order, with gaps so each fault's effect is visible on its own.
 */
export function buildFaultSchedule(seed: number, loadMs: number, rounds: number): Fault[] {
  const random = new SeededRandom(seed ^ 0x5eed);
  const kinds: FaultKind[] = [];
  for (let r = 0; r < rounds; r++) {
    const round: FaultKind[] = ['kill-relay', 'kill-ledger', 'broker-down', 'broker-errors', 'pg-drop-connections', 'slow-network'];
    for (let i = round.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [round[i], round[j]] = [round[j]!, round[i]!];
    }
    kinds.push(...round);
  }
  const slot = (loadMs * 0.85) / kinds.length;
  return kinds.map((kind, i) => ({
    kind,
    atMs: Math.round(loadMs * 0.05 + i * slot + random.int(Math.max(1, Math.round(slot * 0.3)))),
    durationMs: kind === 'broker-down' ? 3_000 + random.int(2_000) : kind === 'slow-network' ? 4_000 + random.int(2_000) : 1_000 + random.int(1_000),
    target: random.int(2),
  }));
}
