/**
 * How many shards member `rank` (0-based position among live relays sorted by id) should hold so that
 * the shards are spread as evenly as possible: the first `total % members` members take one extra.
 */
export function fairShare(total: number, members: number, rank: number): number {
  if (members <= 0 || rank < 0 || rank >= members) return 0;
  const base = Math.floor(total / members);
  return base + (rank < total % members ? 1 : 0);
}

/** Shards a member prefers: s ≡ rank (mod members). Disjoint between members, so relays starting together do not collide. */
export function isHomeShard(shard: number, members: number, rank: number): boolean {
  return members > 0 && shard % members === rank;
}

export interface RebalancePlan {
  /** Shards to give up (held beyond the fair share); non-home shards first. */
  release: number[];
  /** Free shards to try to lock (up to the missing share); home shards first. */
  acquire: number[];
  target: number;
}

/**
 * One rebalance step of one relay. `held` = shards this relay holds, `heldByOthers` = shards other live
 * relays hold (from pg_locks). Locks are taken with pg_try_advisory_lock, so a stale view only costs a
 * failed try; the next step converges.
 */
export function planRebalance(input: {
  total: number;
  members: number;
  rank: number;
  held: readonly number[];
  heldByOthers: readonly number[];
}): RebalancePlan {
  const { total, members, rank } = input;
  const target = fairShare(total, members, rank);
  const held = [...new Set(input.held)].sort((a, b) => a - b);
  const preferHome = (a: number, b: number) => Number(isHomeShard(b, members, rank)) - Number(isHomeShard(a, members, rank)) || a - b;

  if (held.length > target) {
    // Give up non-home shards first, highest numbers first among equals.
    const byKeep = [...held].sort(preferHome);
    return { release: byKeep.slice(target).sort((a, b) => a - b), acquire: [], target };
  }
  const taken = new Set([...held, ...input.heldByOthers]);
  const free = Array.from({ length: total }, (_, s) => s).filter((s) => !taken.has(s));
  return {
    release: [],
    acquire: free
      .sort(preferHome)
      .slice(0, target - held.length)
      .sort((a, b) => a - b),
    target,
  };
}
