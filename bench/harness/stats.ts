/** Small statistics for benchmark figures. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1]!;
}

export interface LatencySummary {
  samples: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
}

export function summarizeLatency(xs: readonly number[]): LatencySummary {
  const r = (v: number) => Math.round(v * 10) / 10;
  return { samples: xs.length, p50_ms: r(percentile(xs, 50)), p95_ms: r(percentile(xs, 95)), p99_ms: r(percentile(xs, 99)), max_ms: r(Math.max(...xs)) };
}

/** Runs `fn` n times in sequence and returns every result (the caller takes the median). */
export async function repeat<T>(n: number, fn: (run: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await fn(i));
  return out;
}

export const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
