import { SeededRandom } from '@chat-ledger/testing';

export const FAULT_KINDS = [
  'kill-relay',
  'kill-ledger',
  'kill-broker',
  'freeze-broker',
  'network-cut',
  'slow-network',
  'pg-drop-connections',
  'broker-outage',
  'poison',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  kind: FaultKind;
  atMs: number;
  durationMs: number;
  target?: number;
}

/** How long a fault lasts: base + up to extra ms. */
const DURATIONS: Record<FaultKind, [base: number, extra: number]> = {
  'kill-relay': [1_000, 1_000],
  'kill-ledger': [1_000, 1_000],
  'kill-broker': [1_000, 2_000],
  'freeze-broker': [2_000, 2_000],
  'network-cut': [3_000, 2_000],
  'slow-network': [4_000, 2_000],
  'pg-drop-connections': [1_000, 1_000],
  // A minute without Kafka, many times the relays' retry backoff (OUTBOX_MAX_ATTEMPTS is 3 in the run):
  // no row may die of it.
  'broker-outage': [60_000, 0],
  // Instant: records produced straight to the topic (a DLQ-refused poison record, a conflicting duplicate).
  poison: [0, 0],
};

/**
 * A reproducible fault timeline: every kind at least once (twice in long runs), spread over the load
 * phase in a seeded order, with gaps so each fault's effect is visible on its own.
 */
export function buildFaultSchedule(seed: number, loadMs: number, rounds: number): Fault[] {
  const random = new SeededRandom(seed ^ 0x5eed);
  const kinds: FaultKind[] = [];
  for (let r = 0; r < rounds; r++) {
    const round: FaultKind[] = [...FAULT_KINDS];
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
    durationMs: DURATIONS[kind][0] + random.int(DURATIONS[kind][1]),
    target: random.int(2),
  }));
}
