/**
 * The metric names a PromQL expression reads (what a dashboard panel or an alert rule needs the apps to expose),
 * without a PromQL parser: strings, label matchers, ranges and subqueries, grouping label lists, Grafana variables
 * and `offset`/`@` modifiers are removed, then every identifier that is not a function or aggregation (followed
 * by `(`), a keyword or a number is a metric name.
 */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'start',
  'end',
  'inf',
  'nan',
]);

export function promqlMetricNames(expression: string): string[] {
  let expr = expression
    // string literals (label values, label_replace arguments) first: they may hold any character
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    // Grafana variables: $__rate_interval, ${model}, [[partition]]
    .replace(/\$\{[^}]*\}|\$\w+|\[\[\w+\]\]/g, ' ')
    // label matchers, ranges and subqueries
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    // grouping and matching label lists: by (a, b), without(a), on(a), ignoring(a), group_left(a)
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ')
    // modifiers: offset 5m, @ 1609746000, @ start()
    .replace(/\boffset\s+-?[\w.]+/gi, ' ')
    .replace(/@\s*[\w.]+(\(\))?/g, ' ');
  // label_values(metric, label) in a Grafana variable query: the label is no metric
  expr = expr.replace(/\blabel_values\s*\(([^,()]*),[^)]*\)/g, ' $1 ');
  const names = new Set<string>();
  for (const match of expr.matchAll(/(?<![\w.:])([A-Za-z_:][\w:]*)(?![\w.])(\s*\()?/g)) {
    const [, name, call] = match;
    if (call) continue;
    if (KEYWORDS.has(name!.toLowerCase())) continue;
    names.add(name!);
  }
  return [...names].sort();
}

/** Metric families of a Prometheus text exposition: name → type (counter, gauge, histogram, summary, untyped). */
export function exposedMetricFamilies(exposition: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const line of exposition.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) families.set(type[1]!, type[2]!);
  }
  return families;
}

/**
 * Whether a name a query reads is exposed: the family itself, or one of the series a histogram or summary family
 * expands to (`_bucket`, `_sum`, `_count`).
 */
export function isExposed(name: string, families: Map<string, string>): boolean {
  if (families.has(name)) return true;
  const series = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (!series) return false;
  const type = families.get(series[1]!);
  return type === 'histogram' || (type === 'summary' && series[2] !== 'bucket');
}
