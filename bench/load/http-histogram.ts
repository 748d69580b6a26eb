/**
 * The gateway's own share of a load phase, from its `http_request_duration_seconds` histogram on /metrics:
 * scraped before and after the phase, the difference read as percentiles within its buckets.
 */
export interface ServerSide {
  /** Requests the gateway's histogram counted for the route during the phase. */
  count: number;
  /** Estimated from the histogram's buckets (linear within a bucket), so only as fine as its bounds. */
  p50_ms_est: number;
  p99_ms_est: number;
  /** Share of requests the gateway answered within 1 ms and within 2.5 ms (its bucket bounds). */
  within_1ms: number;
  within_2_5ms: number;
}

type Buckets = Map<number, number>;

/** Cumulative bucket counts of http_request_duration_seconds for one method, route and status. */
export async function scrapeHistogram(baseUrl: string, method: string, route: string, status: string): Promise<Buckets> {
  const text = await (await fetch(new URL('/metrics', baseUrl))).text();
  const out: Buckets = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('http_request_duration_seconds_bucket{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (labels.method !== method || labels.route !== route || labels.status !== status) continue;
    const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
    out.set(le, Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

/** The phase's share of the histogram (after − before) as percentiles estimated within buckets. */
export function serverSide(before: Buckets, after: Buckets): ServerSide | null {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((le) => (after.get(le) ?? 0) - (before.get(le) ?? 0));
  const count = counts.at(-1) ?? 0;
  if (count === 0) return null;
  const quantile = (q: number) => {
    const rank = q * count;
    for (let i = 0; i < bounds.length; i++) {
      if (counts[i]! >= rank) {
        const lo = i === 0 ? 0 : bounds[i - 1]!;
        const hi = bounds[i]!;
        if (!Number.isFinite(hi)) return lo * 1000;
        const below = i === 0 ? 0 : counts[i - 1]!;
        const inBucket = counts[i]! - below;
        return (lo + (hi - lo) * (inBucket === 0 ? 1 : (rank - below) / inBucket)) * 1000;
      }
    }
    return NaN;
  };
  const share = (le: number) => Math.round(((counts[bounds.indexOf(le)] ?? 0) / count) * 1000) / 1000;
  const r = (v: number) => Math.round(v * 100) / 100;
  return { count, p50_ms_est: r(quantile(0.5)), p99_ms_est: r(quantile(0.99)), within_1ms: share(0.001), within_2_5ms: share(0.0025) };
}
