import { MetricsRegistry } from './metrics-registry';

describe('MetricsRegistry', () => {
  it('renders counters, gauges and histograms in the Prometheus text format', () => {
    const registry = new MetricsRegistry();
    const applied = registry.counter('events_total', 'Events.');
    const lag = registry.gauge('lag', 'Lag "per" partition.');
    const size = registry.histogram('batch_size', 'Sizes.', [1, 10]);
    applied.inc({ type: 'a' });
    applied.inc({ type: 'a' }, 2);
    applied.inc({ type: 'b"\n' });
    lag.set({ topic: 't', partition: 3 }, 7);
    size.observe(1);
    size.observe(5);
    size.observe(50);

    expect(registry.render()).toBe(
      [
        '# HELP events_total Events.',
        '# TYPE events_total counter',
        'events_total{type="a"} 3',
        'events_total{type="b\\"\\n"} 1',
        '# HELP lag Lag "per" partition.',
        '# TYPE lag gauge',
        'lag{partition="3",topic="t"} 7',
        '# HELP batch_size Sizes.',
        '# TYPE batch_size histogram',
        'batch_size_bucket{le="1"} 1',
        'batch_size_bucket{le="10"} 2',
        'batch_size_bucket{le="+Inf"} 3',
        'batch_size_sum 56',
        'batch_size_count 3',
        '',
      ].join('\n'),
    );
    expect(applied.get({ type: 'a' })).toBe(3);
  });

  it('shows unlabelled counters and histograms at zero before anything happened', () => {
    const registry = new MetricsRegistry();
    registry.counter('c', 'C.');
    registry.histogram('h', 'H.', [1]);
    expect(registry.render()).toContain('c 0\n');
    expect(registry.render()).toContain('h_count 0\n');
  });

  it('refuses to decrease a counter', () => {
    expect(() => new MetricsRegistry().counter('c', 'C.').inc(undefined, -1)).toThrow('cannot decrease');
  });
});
