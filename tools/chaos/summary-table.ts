import type { ChaosSummary } from './chaos-run';

export function formatChaosSummary(s: ChaosSummary): string {
  const faults = Object.entries(s.faults)
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ');
  const rows: Array<[string, string | number]> = [
    ['seed', s.seed],
    ['requests sent / acknowledged', `${s.requestsSent} / ${s.acknowledged}`],
    ['messages / adjustments acknowledged', `${s.messagesAcked} / ${s.adjustmentsAcked}`],
    ['client retries after 5xx or network error', s.retriedAfterError],
    ['deliberate duplicate requests (same Idempotency-Key)', s.deliberateDuplicates],
    ['requests never acknowledged', s.gaveUp],
    ['faults injected', faults],
    ['poison on the topic → dead letters (DLQ-refused / conflicting)', `${s.poisonInjected.refused} / ${s.poisonInjected.conflicts}`],
    ['process crashes restarted by the supervisor', s.processCrashesRestarted],
    ['events in outbox / published / dead', `${s.eventsInOutbox} / ${s.eventsPublished} / ${s.deadRows}`],
    ['messages on the topic', s.messagesOnTopic],
    ['duplicates delivered (topic)', s.duplicatesDelivered],
    ['duplicates skipped by the ledger (since last restarts)', s.duplicatesSkipped],
    ['events lost (must be 0)', s.eventsLost],
    ['double-applied (must be 0)', s.doubleApplied],
    ['per-user order violations (must be 0)', s.orderViolations],
    ['totals differing from acknowledged requests (must be 0)', s.totalsMismatches],
    ['ledger:reconcile drift (must be 0)', s.reconcileDrift],
    ['time to drain', `${(s.drainMs / 1000).toFixed(1)} s`],
    ['result', s.problems.length === 0 ? 'PASS' : `FAIL: ${s.problems.join('; ')}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return ['| check | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`)].join('\n');
}
