import { Card, Empty, ErrorNote, LiveStatus, Loading } from '../components/common';
import { useServices } from '../context';
import { formatDateTime, formatNumber } from '../format';
import { usePoll } from '../hooks';
import type { BytePreview, DeadLetters, SequenceGaps } from '../types';

/** An escaped preview as text (never markup), with what it leaves out. */
function Preview({ preview, label }: { preview: BytePreview; label: string }) {
  if (preview.preview === null) return <span class="muted">no {label}</span>;
  return (
    <>
      <pre class="bytes" aria-label={`${label}, escaped`}>
        {preview.preview || ' '}
      </pre>
      <span class="muted">
        {formatNumber(preview.bytes)} bytes{preview.truncated ? ', the first 512 shown' : ''}
      </span>
    </>
  );
}

export function LedgerPage() {
  const { ledger } = useServices();
  const polled = usePoll(async (signal) => {
    const [deadLetters, gaps] = await Promise.all([
      ledger.get<DeadLetters>('/v1/admin/ledger/dead-letters', { limit: 50 }, signal),
      ledger.get<SequenceGaps>('/v1/admin/ledger/sequence-gaps', { limit: 50 }, signal),
    ]);
    return { deadLetters, gaps };
  }, []);
  const { data, error, loading } = polled;

  return (
    <>
      <div class="page-head">
        <h1>Ledger</h1>
        <LiveStatus label="the ledger" updatedAt={polled.updatedAt} error={error} onRefresh={polled.refresh} />
      </div>
      {error && <ErrorNote error={error} context={data ? 'Refresh failed' : 'Ledger'} />}
      {loading && !data && <Loading what="dead letters and sequence gaps" />}
      {data && (
        <>
          <dl class="cards" aria-label="Ledger health">
            <Card
              label="Dead letters"
              value={formatNumber(data.deadLetters.totals.total)}
              hint={
                Object.entries(data.deadLetters.totals.by_reason)
                  .map(([r, n]) => `${r} ${formatNumber(n)}`)
                  .join(', ') || undefined
              }
              testId="stat-dead-letters"
            />
            <Card
              label="Not on the DLQ topic"
              value={formatNumber(data.deadLetters.totals.dlq_unpublished)}
              hint={data.deadLetters.totals.dlq_unpublished ? 'npm run cli -- ledger:dlq-redrive --topic <DLQ topic> copies them' : undefined}
            />
            <Card
              label="Sequence gaps"
              value={formatNumber(data.gaps.totals.gaps)}
              hint={`${formatNumber(data.gaps.totals.reorders)} reorders, ${formatNumber(data.gaps.totals.users)} users`}
              testId="stat-gaps"
            />
          </dl>

          <section aria-labelledby="dl-title">
            <h2 id="dl-title">Dead letters</h2>
            {data.deadLetters.list.length === 0 ? (
              <Empty>
                <p>No dead letters: every record the ledger read was applied (or was a duplicate).</p>
              </Empty>
            ) : (
              <div class="table-wrap">
                <table data-testid="dead-letters">
                  <caption>
                    Records the ledger could not take, newest first{data.deadLetters.next_cursor ? ' (the latest 50)' : ''}; they count in no total
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Received</th>
                      <th scope="col">Reason</th>
                      <th scope="col">Error</th>
                      <th scope="col">Event</th>
                      <th scope="col">Position</th>
                      <th scope="col">Value (escaped)</th>
                      <th scope="col">Key</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.deadLetters.list.map((d) => (
                      <tr key={d.id} data-id={d.id}>
                        <th scope="row">{formatDateTime(d.received_at)}</th>
                        <td>
                          <code>{d.reason}</code>
                        </td>
                        <td class="error-text">{d.error}</td>
                        <td>
                          {d.event_type ?? <span class="muted">unknown type</span>}
                          {d.event_id && (
                            <>
                              <br />
                              <code class="muted">{d.event_id}</code>
                            </>
                          )}
                        </td>
                        <td>
                          <code>
                            {d.kafka.topic}/{d.kafka.partition}@{d.kafka.offset}
                          </code>
                        </td>
                        <td class="preview">
                          <Preview preview={d.value} label="value" />
                        </td>
                        <td class="preview">
                          <Preview preview={d.key} label="key" />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          <section aria-labelledby="gaps-title">
            <h2 id="gaps-title">Sequence gaps and reorders</h2>
            {data.gaps.list.length === 0 ? (
              <Empty>
                <p>No gaps: every user’s events arrived in their sequence.</p>
              </Empty>
            ) : (
              <div class="table-wrap">
                <table data-testid="sequence-gaps">
                  <caption>Per-user sequence numbers the ledger saw out of line, newest first; a gap later filled shows as a gap followed by a reorder</caption>
                  <thead>
                    <tr>
                      <th scope="col">Detected</th>
                      <th scope="col">User</th>
                      <th scope="col">Kind</th>
                      <th scope="col" class="num">
                        Expected
                      </th>
                      <th scope="col" class="num">
                        Seen
                      </th>
                      <th scope="col">Event</th>
                      <th scope="col">Position</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.gaps.list.map((g) => (
                      <tr key={g.id}>
                        <th scope="row">{formatDateTime(g.detected_at)}</th>
                        <td>{g.user_id}</td>
                        <td>{g.kind}</td>
                        <td class="num">{formatNumber(g.expected_seq)}</td>
                        <td class="num">{formatNumber(g.seen_seq)}</td>
                        <td>
                          <code class="muted">{g.event_id}</code>
                        </td>
                        <td>
                          <code>
                            {g.kafka.topic}/{g.kafka.partition}@{g.kafka.offset}
                          </code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
    </>
  );
}
