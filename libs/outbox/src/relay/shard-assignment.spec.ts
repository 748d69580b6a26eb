import { SHARD_COUNT } from '../outbox-schema';
import { fairShare, planRebalance } from './shard-assignment';

describe('fairShare', () => {
  it.each([1, 2, 3, 5, 7, 10, 64, 100])('gives out all 64 shards, as evenly as possible, among %i relays', (members) => {
    const shares = Array.from({ length: members }, (_, rank) => fairShare(SHARD_COUNT, members, rank));
    expect(shares.reduce((a, b) => a + b, 0)).toBe(SHARD_COUNT);
    expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
  });

  it('is 0 for a relay that is not a member', () => {
    expect(fairShare(64, 2, 2)).toBe(0);
    expect(fairShare(64, 0, 0)).toBe(0);
  });
});

describe('planRebalance', () => {
  it('a lone relay takes every shard', () => {
    expect(planRebalance({ total: 64, members: 1, rank: 0, held: [], heldByOthers: [] })).toEqual({
      release: [],
      acquire: Array.from({ length: 64 }, (_, i) => i),
      target: 64,
    });
  });

  it('gives up non-home shards first when above its share', () => {
    const all = Array.from({ length: 64 }, (_, i) => i);
    const plan = planRebalance({ total: 64, members: 2, rank: 0, held: all, heldByOthers: [] });
    expect(plan.target).toBe(32);
    expect(plan.acquire).toEqual([]);
    expect(plan.release).toEqual(all.filter((s) => s % 2 === 1)); // keeps its home (even) shards
  });

  it('takes free shards only, home shards first, up to its share', () => {
    const plan = planRebalance({ total: 8, members: 2, rank: 1, held: [], heldByOthers: [0, 2, 3] });
    expect(plan).toEqual({ release: [], acquire: [1, 4, 5, 7], target: 4 });
  });

  /** Relays stepping in turn against a shared lock table, as pg_try_advisory_lock would arbitrate. */
  function simulate(relayIds: number[], owners: Map<number, number>, rounds: number): void {
    for (let round = 0; round < rounds; round++) {
      for (const id of relayIds) {
        const members = [...relayIds].sort((a, b) => a - b);
        const held = [...owners].filter(([, o]) => o === id).map(([s]) => s);
        const others = [...owners].filter(([, o]) => o !== id).map(([s]) => s);
        const plan = planRebalance({ total: SHARD_COUNT, members: members.length, rank: members.indexOf(id), held, heldByOthers: others });
        for (const s of plan.release) owners.delete(s);
        for (const s of plan.acquire) if (!owners.has(s)) owners.set(s, id);
      }
    }
  }

  function expectBalanced(relayIds: number[], owners: Map<number, number>): void {
    expect(owners.size).toBe(SHARD_COUNT);
    const counts = relayIds.map((id) => [...owners.values()].filter((o) => o === id).length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  }

  it('converges to a fair split in a few rounds as relays join and leave, every shard always with at most one owner', () => {
    const owners = new Map<number, number>(); // shard -> relay (a Map: one owner per shard by construction)
    simulate([101], owners, 1);
    expectBalanced([101], owners);

    simulate([101, 205], owners, 2);
    expectBalanced([101, 205], owners);

    simulate([101, 205, 333], owners, 2);
    expectBalanced([101, 205, 333], owners);

    // 205 dies: its locks vanish with its session.
    for (const [s, o] of owners) if (o === 205) owners.delete(s);
    simulate([101, 333], owners, 2);
    expectBalanced([101, 333], owners);
  });
});
