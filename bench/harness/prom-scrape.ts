/** The sum over every series of each metric named, from an app's Prometheus text exposition. */
export async function scrapeSums(baseUrl: string, names: readonly string[], labelFilter?: (line: string) => boolean): Promise<Record<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const out: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.length === 0) continue;
    const name = line.split(/[{ ]/, 1)[0]!;
    if (!(name in out)) continue;
    if (labelFilter && line.includes('{') && !labelFilter(line)) continue;
    out[name]! += Number(line.split(' ').pop());
  }
  return out;
}

/** Mean of a histogram or summary from its `_sum` and `_count`, or null when nothing was observed. */
export function meanOf(sums: Record<string, number>, metric: string, scale = 1): number | null {
  const count = sums[`${metric}_count`] ?? 0;
  return count > 0 ? Math.round(((sums[`${metric}_sum`] ?? 0) / count) * scale * 100) / 100 : null;
}
