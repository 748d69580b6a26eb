/* eslint-disable @typescript-eslint/no-explicit-any */
/** Prints the bench result as the Markdown table the README carries (targets from issue 6). */
export function printTable(r: Record<string, any>): void {
  const rows: string[][] = [];
  const n = (v: unknown) => (typeof v === 'number' ? v.toLocaleString('en-US') : v === null || v === undefined ? '—' : String(v));
  const pct = (v: number | undefined) => (typeof v === 'number' ? `${Math.round(v * 1000) / 10}%` : '—');
  const verdict = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? 'met' : 'MISSED');
  if (r.write) {
    const w = r.write;
    rows.push(['write: raw pg, 8 clients, message + outbox row per tx', `${n(w.raw_tps)} tx/s`, '', '']);
    rows.push([
      'write: gateway POST …/messages over HTTP, 8 clients',
      `${n(w.gateway_tps)} req/s`,
      `${pct(w.ratio_vs_raw)} of raw`,
      `≥ 50% ${verdict(w.ratio_vs_raw >= 0.5)}`,
    ]);
    rows.push([
      'write: gateway without the outbox row (bench-only build)',
      `${n(w.gateway_no_outbox_tps)} req/s`,
      `overhead ${pct(w.outbox_overhead)}`,
      `≤ 15% ${verdict(w.outbox_overhead <= 0.15)}`,
    ]);
  }
  if (r.relay) {
    const x = r.relay;
    rows.push([`relay: raw kafkajs producer, ${n(x.rows)} envelopes`, `${n(x.raw_produce_eps)} ev/s`, '', '']);
    rows.push([`relay: OutboxRelay draining ${n(x.rows)} rows`, `${n(x.relay_eps)} ev/s`, `${pct(x.ratio)} of raw`, `≥ 60% ${verdict(x.ratio >= 0.6)}`]);
    if (x.latency)
      rows.push([
        `relay latency, commit → published, ${x.latency.rate} rows/s`,
        `p50 ${x.latency.p50_ms} / p95 ${x.latency.p95_ms} / p99 ${x.latency.p99_ms} / max ${x.latency.max_ms} ms`,
        '',
        '',
      ]);
  }
  if (r.ledger) {
    const l = r.ledger;
    rows.push([`ledger: raw kafkajs consumer, ${n(l.events)} events`, `${n(l.raw_consume_eps)} ev/s`, '', '']);
    rows.push([
      `ledger: ledger-consumer applying ${n(l.events)} events`,
      `${n(l.ledger_eps)} ev/s`,
      `${pct(l.ratio_vs_raw)} of raw`,
      `≥ 40% ${verdict(l.ratio_vs_raw >= 0.4)}`,
    ]);
    rows.push([
      `ledger: naive, one tx per event (${n(l.naive_events)} events)`,
      `${n(l.naive_eps)} ev/s`,
      `ledger = ${n(l.ratio_vs_naive)}× naive`,
      `≥ 20× ${verdict(l.ratio_vs_naive >= 20)}`,
    ]);
  }
  if (r.e2e) {
    for (const [rate, e] of Object.entries<any>(r.e2e)) {
      rows.push([
        `end to end at ${rate} msg/s: POST answered → applied in ledger`,
        `p50 ${e.p50_ms} / p95 ${e.p95_ms} / p99 ${e.p99_ms} / max ${e.max_ms} ms`,
        '',
        rate === '500' ? `p99 ≤ 60 ms ${verdict(e.p99_ms <= 60)}` : '',
      ]);
      if (e.from_send)
        rows.push([
          `end to end at ${rate} msg/s: POST sent → applied in ledger`,
          `p50 ${e.from_send.p50_ms} / p95 ${e.from_send.p95_ms} / p99 ${e.from_send.p99_ms} / max ${e.from_send.max_ms} ms`,
          '',
          rate === '500' ? `p99 ≤ 60 ms ${verdict(e.from_send.p99_ms <= 60)}` : '',
        ]);
    }
  }
  if (r.peer) {
    for (const v of ['polling', 'logical_replication']) {
      const p = r.peer[v];
      if (!p) continue;
      const lat = p.latency ? `p50 ${p.latency.p50_ms} / p95 ${p.latency.p95_ms} / p99 ${p.latency.p99_ms} ms` : '—';
      rows.push([
        `peer ${r.peer.package} ${r.peer.version}, ${v.replace('_', ' ')}`,
        `${n(p.eps)} ev/s`,
        `latency ${lat}`,
        r.relay?.relay_eps && p.eps ? `ours ${n(Math.round(r.relay.relay_eps / p.eps))}× faster` : '',
      ]);
    }
  }
  // Per-event cost within ±20% of the smallest size's: the rate ratio between 1/1.2 and 1/0.8.
  const withinCost = (x: number) => x >= 1 / 1.2 && x <= 1 / 0.8;
  const growth: any[] = r.growth ?? [];
  for (const g of growth) {
    const first = g === growth[0];
    const relay =
      g.relay_flowing_eps !== undefined
        ? `relay ${n(g.relay_flowing_eps)} ev/s once publishing (×${g.relay_flowing_vs_smallest}; ${n(g.relay_eps)} with its start)`
        : `relay ${n(g.relay_eps)} ev/s (×${g.relay_vs_smallest})`;
    const second = g.outbox_mib_after_second_cycle;
    const targets = [
      ...(first || g.relay_flowing_vs_smallest === undefined
        ? []
        : [`cost ±20% ${verdict(withinCost(g.relay_flowing_vs_smallest) && withinCost(g.ledger_flowing_vs_smallest ?? g.ledger_vs_smallest))}`]),
      ...(second !== undefined ? [`2nd cycle ≤ +10% ${verdict(second <= g.outbox_mib_after_retention * 1.1)}`] : []),
    ];
    rows.push([
      `growth ${n(g.rows)} rows`,
      `${relay}, ${
        g.ledger_flowing_eps !== undefined
          ? `ledger ${n(g.ledger_flowing_eps)} ev/s once applying (×${g.ledger_flowing_vs_smallest}; ${n(g.ledger_eps)} with its start)`
          : `ledger ${n(g.ledger_eps)} ev/s (×${g.ledger_vs_smallest})`
      }`,
      `outbox ${g.outbox_mib_after_drain} → ${g.outbox_mib_after_retention} MiB${second !== undefined ? ` → ${second} MiB (2nd cycle)` : ''}`,
      targets.join('; '),
    ]);
  }
  if (r.debezium) {
    const d = r.debezium;
    rows.push([`debezium ${d.version}: embedded engine + Outbox Event Router draining ${n(d.rows)} rows`, `${n(d.drain_eps)} ev/s`, '', '']);
    rows.push([
      `debezium: OutboxRelay draining the same ${n(d.rows)} rows`,
      `${n(d.relay_drain_eps)} ev/s`,
      `relay = ${n(d.throughput_ratio)}× Debezium`,
      `≥ 2× ${verdict(d.throughput_ratio >= 2)}`,
    ]);
    for (const [rate, l] of Object.entries<any>(d.latency ?? {})) {
      rows.push([
        `debezium: commit → record on Kafka at ${n(Number(rate))} rows/s`,
        `Debezium p50 ${l.debezium.p50_ms} / p99 ${l.debezium.p99_ms} ms; relay p50 ${l.relay.p50_ms} / p99 ${l.relay.p99_ms} ms`,
        '',
        rate === '1000' ? `relay p99 ≤ Debezium's ${verdict(l.relay.p99_ms <= l.debezium.p99_ms)}` : '',
      ]);
    }
  }
  if (r.tasks) {
    const t = r.tasks;
    const server = (x: any) => (x.server ? `gateway p50 ≈ ${x.server.p50_ms_est} / p99 ≈ ${x.server.p99_ms_est} ms` : '');
    for (const q of t.list) {
      rows.push([
        `tasks: GET /v1/tasks/running${q.query} (${n(t.tasks)} open, ${n(q.total_tasks)} match), ${q.rate}/s`,
        `p50 ${q.p50_ms} / p99 ${q.p99_ms} / max ${q.max_ms} ms`,
        server(q),
        `p99 ≤ 50 ms ${verdict(q.meets_p99)}`,
      ]);
    }
    if (t.heartbeat_low_rate) {
      const l = t.heartbeat_low_rate;
      rows.push([
        `tasks: heartbeat PATCH /v1/tasks/:id at ${l.rate}/s (cost of one, no queue)`,
        `p50 ${l.p50_ms} / p99 ${l.p99_ms} / max ${l.max_ms} ms`,
        server(l),
        '',
      ]);
    }
    const h = t.heartbeat;
    rows.push([
      `tasks: heartbeat PATCH /v1/tasks/:id at ${h.rate}/s`,
      `p50 ${h.p50_ms} / p99 ${h.p99_ms} / max ${h.max_ms} ms`,
      server(h),
      `p99 ≤ 2 ms ${verdict(h.meets_p99)}`,
    ]);
  }
  const m = r.machine;
  console.log(
    `\nchat-ledger bench: ${m.cpus} × ${m.cpu_model}, Node ${m.node}, median of ${m.runs} run(s)${m.quick ? ', --quick' : ''}, ${r.duration_seconds} s\n`,
  );
  console.log('| measurement | result | ratio | target |\n|---|---|---|---|');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}
