import { TokenBuckets } from './token-bucket';

describe('TokenBuckets', () => {
  it('allows a burst, then one request per refill interval, per key', () => {
    const buckets = new TokenBuckets(3, 1);
    const t = 1_000_000;
    expect([buckets.take('a', t), buckets.take('a', t), buckets.take('a', t)]).toEqual([0, 0, 0]);
    expect(buckets.take('a', t)).toBe(1);
    expect(buckets.take('b', t)).toBe(0);
    expect(buckets.take('a', t + 1000)).toBe(0);
    expect(buckets.take('a', t + 1000)).toBeGreaterThan(0);
  });
});
