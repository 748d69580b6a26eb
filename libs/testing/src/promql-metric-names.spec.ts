import { exposedMetricFamilies, isExposed, promqlMetricNames } from './promql-metric-names';

describe('promqlMetricNames', () => {
  it.each([
    ['max(outbox_dead_rows) > 0', ['outbox_dead_rows']],
    ['sum by (model) (rate(ledger_tokens_total{direction="spent"}[$__rate_interval]))', ['ledger_tokens_total']],
    [
      'histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket{route=~"/v1/.+"}[5m])))',
      ['http_request_duration_seconds_bucket'],
    ],
    ['sum(ledger_consumer_lag) > 1000 and deriv(sum(ledger_consumer_lag)[10m:1m]) > 0', ['ledger_consumer_lag']],
    ['max(ledger_consumer_up) < 1 or absent(ledger_consumer_up)', ['ledger_consumer_up']],
    ['sum without (instance) (increase(ledger_dead_letters_total[10m] offset 1h)) / ignoring(reason) group_left vector(1)', ['ledger_dead_letters_total']],
    ['label_values(ledger_consumer_lag{topic="$topic"}, partition)', ['ledger_consumer_lag']],
    [
      'rate(outbox_published_total[1m]) * 60 + 1e3 - on(job) outbox_publish_errors_total @ 1609746000',
      ['outbox_publish_errors_total', 'outbox_published_total'],
    ],
    ['label_replace(up, "a", "$1", "b", "(foo_total)")', ['up']],
  ])('%s', (expression, names) => {
    expect(promqlMetricNames(expression)).toEqual(names);
  });
});

describe('isExposed', () => {
  const families = exposedMetricFamilies(
    ['# HELP a_total A.', '# TYPE a_total counter', 'a_total 1', '# TYPE h_seconds histogram', 'h_seconds_bucket{le="1"} 0', '# TYPE s summary'].join('\n'),
  );

  it('knows families and the series a histogram or summary expands to, nothing else', () => {
    expect([...families]).toEqual([
      ['a_total', 'counter'],
      ['h_seconds', 'histogram'],
      ['s', 'summary'],
    ]);
    expect(['a_total', 'h_seconds_bucket', 'h_seconds_sum', 'h_seconds_count', 's_sum', 's_count'].every((n) => isExposed(n, families))).toBe(true);
    expect(['a', 'a_total_count', 's_bucket', 'missing_total'].some((n) => isExposed(n, families))).toBe(false);
  });
});
