import { MetricsRegistry } from './metrics-registry';

describe('MetricsRegistry (Prometheus text format)', () => {
  it('renders counters, gauges with labels and histograms with cumulative buckets', async () => {
    const registry = new MetricsRegistry();
    const sent = registry.counter('demo_sent_total', 'Messages sent.');
    const depth = registry.gauge('demo_queue_depth', 'Queue depth.\nPer queue.');
    const latency = registry.histogram('demo_latency_seconds', 'Latency.', [0.1, 0.5, 1]);
    sent.inc();
    sent.inc(2);
    depth.set(7, { queue: 'a"b' });
    for (const v of [0.05, 0.3, 0.3, 2]) latency.observe(v);

    expect(await registry.render()).toBe(
      [
        '# HELP demo_sent_total Messages sent.',
        '# TYPE demo_sent_total counter',
        'demo_sent_total 3',
        '# HELP demo_queue_depth Queue depth.\\nPer queue.',
        '# TYPE demo_queue_depth gauge',
        'demo_queue_depth{queue="a\\"b"} 7',
        '# HELP demo_latency_seconds Latency.',
        '# TYPE demo_latency_seconds histogram',
        'demo_latency_seconds_bucket{le="0.1"} 1',
        'demo_latency_seconds_bucket{le="0.5"} 3',
        'demo_latency_seconds_bucket{le="1"} 3',
        'demo_latency_seconds_bucket{le="+Inf"} 4',
        'demo_latency_seconds_sum 2.65',
        'demo_latency_seconds_count 4',
        '',
      ].join('\n'),
    );
  });

  it('runs collectors before rendering and survives a failing one', async () => {
    const registry = new MetricsRegistry();
    const gauge = registry.gauge('demo_rows', 'Rows.');
    registry.addCollector(async () => gauge.set(42));
    registry.addCollector(async () => {
      throw new Error('database down');
    });
    expect(await registry.render()).toContain('demo_rows 42');
  });

  it('returns the same metric for the same name and refuses a type clash or a bad name', () => {
    const registry = new MetricsRegistry();
    expect(registry.counter('x_total', 'x')).toBe(registry.counter('x_total', 'x'));
    expect(() => registry.gauge('x_total', 'x')).toThrow('already registered as counter');
    expect(() => registry.counter('bad-name', 'x')).toThrow('invalid metric name');
    expect(() => registry.counter('y_total', 'y').inc(-1)).toThrow();
  });
});
