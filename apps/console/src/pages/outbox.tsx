import { useRef, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { Card, describedBy, Empty, ErrorNote, Field, LiveStatus, Loading } from '../components/common';
import { ConfirmDialog } from '../components/dialog';
import { useServices } from '../context';
import { formatAge, formatClock, formatDateTime, formatNumber } from '../format';
import { POLL_INTERVAL_MS, usePoll } from '../hooks';
import type { OutboxPage as Page, OutboxRow, OutboxStats, RelayLease, ReplayResult } from '../types';

/** A row an operator acted on, followed until it is published (or set aside). */
interface Tracked {
  row: OutboxRow;
  action: 'retried' | 'skipped';
  at: Date;
  status: OutboxRow['status'];
  publishedAt: string | null;
}

interface Loaded {
  stats: OutboxStats;
  dead: Page;
  tracked: Tracked[];
}

/** 0–15, 17, 20–23: a relay's shards as short ranges. */
function shardRanges(shards: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < shards.length;) {
    let j = i;
    while (j + 1 < shards.length && shards[j + 1] === shards[j]! + 1) j++;
    out.push(i === j ? String(shards[i]) : `${shards[i]}–${shards[j]}`);
    i = j + 1;
  }
  return out.join(', ') || 'none';
}

const describe = (row: Pick<OutboxRow, 'id' | 'event_type' | 'user_id'>) => `#${row.id} (${row.event_type} of user ${row.user_id})`;

export function OutboxPage() {
  const { gateway } = useServices();
  const tracked = useRef<Tracked[]>([]);
  const [, setTrackedVersion] = useState(0);
  const [retrying, setRetrying] = useState<OutboxRow | undefined>(undefined);
  const [skipping, setSkipping] = useState<OutboxRow | undefined>(undefined);
  const [actionError, setActionError] = useState<Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const following = tracked.current.some((t) => t.status === 'pending');

  const polled = usePoll<Loaded>(
    async (signal) => {
      const [stats, dead] = await Promise.all([
        gateway.get<OutboxStats>('/v1/admin/outbox/stats', undefined, signal),
        gateway.get<Page>('/v1/admin/outbox', { status: 'dead', sort: 'id', limit: 100 }, signal),
      ]);
      // Where is each row we retried now? The list filtered to its user and its exact creation time finds it.
      await Promise.all(
        tracked.current
          .filter((t) => t.status === 'pending')
          .map(async (t) => {
            const page = await gateway.get<Page>(
              '/v1/admin/outbox',
              { user_id: t.row.user_id, from: t.row.created_at, to: t.row.created_at, limit: 20 },
              signal,
            );
            const now = page.list.find((r) => r.id === t.row.id);
            if (now) {
              t.status = now.status;
              t.publishedAt = now.published_at;
            }
          }),
      );
      return { stats, dead, tracked: [...tracked.current] };
    },
    [],
    following ? 1_000 : POLL_INTERVAL_MS,
  );
  const { data, error, loading } = polled;

  const track = (row: OutboxRow, action: Tracked['action']) => {
    tracked.current = [{ row, action, at: new Date(), status: row.status, publishedAt: row.published_at }, ...tracked.current].slice(0, 20);
    setTrackedVersion((v) => v + 1);
    polled.refresh();
  };

  const retry = async () => {
    if (!retrying) return;
    setBusy(true);
    setActionError(undefined);
    try {
      const row = await gateway.send<OutboxRow>('POST', `/v1/admin/outbox/${retrying.id}/retry`);
      setRetrying(undefined);
      track(row, 'retried');
    } catch (e) {
      setRetrying(undefined);
      setActionError(e as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div class="page-head">
        <h1>Outbox</h1>
        <LiveStatus label="the outbox" updatedAt={polled.updatedAt} error={error} onRefresh={polled.refresh} />
      </div>
      {error && <ErrorNote error={error} context={data ? 'Refresh failed' : 'Outbox'} />}
      {loading && !data && <Loading what="the outbox" />}
      {actionError && <ErrorNote error={actionError} context="The action failed" />}
      {data && (
        <>
          <dl class="cards" aria-label="Outbox now">
            <Card
              label="Pending"
              value={formatNumber(data.stats.pending)}
              hint={data.stats.retrying ? `${formatNumber(data.stats.retrying)} waiting for a retry` : undefined}
              testId="stat-pending"
            />
            <Card
              label="Oldest pending"
              value={formatAge(data.stats.oldest_pending_age_seconds)}
              hint={data.stats.oldest_pending_age_seconds === null ? 'nothing waits' : 'since it was written'}
              testId="stat-oldest"
            />
            <Card label="Published, last minute" value={formatNumber(data.stats.published_last_minute)} testId="stat-published" />
            <Card
              label="Dead"
              value={formatNumber(data.stats.dead)}
              hint={data.stats.dead ? 'each holds back its user’s later rows' : undefined}
              testId="stat-dead"
            />
            <Card label="Users held back" value={formatNumber(data.stats.held_users_count)} testId="stat-held" />
            <Card
              label="Relays"
              value={formatNumber(data.stats.relays.length)}
              hint={data.stats.unassigned_shards.length ? `${data.stats.unassigned_shards.length} shards unassigned` : 'every shard assigned'}
              testId="stat-relays"
            />
          </dl>

          {data.tracked.length > 0 && <TrackedList tracked={data.tracked} />}

          <DeadRows rows={data.dead.list} onRetry={setRetrying} onSkip={setSkipping} more={data.dead.next_cursor !== null} />
          <HeldUsers stats={data.stats} />
          <Relays relays={data.stats.relays} unassigned={data.stats.unassigned_shards} />
        </>
      )}
      <Replay />

      <ConfirmDialog
        open={retrying !== undefined}
        title={retrying ? `Retry outbox row ${describe(retrying)}?` : ''}
        confirmLabel={retrying ? `Retry row #${retrying.id}` : 'Retry'}
        busy={busy}
        onCancel={() => setRetrying(undefined)}
        onConfirm={() => void retry()}
        testId="confirm-retry"
      >
        {retrying && (
          <>
            <p>
              Event <code>{retrying.event_id}</code>, dead after {formatNumber(retrying.attempts)} attempts. Last error:
            </p>
            <pre class="error-text">{retrying.last_error ?? '(none recorded)'}</pre>
            <p>
              It goes back to pending with a fresh attempt budget; the relay publishes it, then the user’s later rows. The ledger applies each event id once.
            </p>
          </>
        )}
      </ConfirmDialog>
      {skipping && (
        <SkipDialog
          row={skipping}
          onClose={() => setSkipping(undefined)}
          onSkipped={(row) => {
            setSkipping(undefined);
            track(row, 'skipped');
          }}
        />
      )}
    </>
  );
}

function TrackedList({ tracked }: { tracked: Tracked[] }) {
  return (
    <section aria-labelledby="tracked-title">
      <h2 id="tracked-title">Your actions</h2>
      <ul class="tracked" data-testid="tracked" aria-live="polite">
        {tracked.map((t) => (
          <li key={`${t.row.id}-${t.at.getTime()}`} data-row={t.row.id} data-status={t.status}>
            {formatClock(t.at)}: row {describe(t.row)} {t.action}
            {' → '}
            <strong class={`status status-${t.status}`}>
              {t.status === 'published'
                ? `published ${t.publishedAt ? formatClock(new Date(t.publishedAt)) : ''}`
                : t.status === 'pending'
                  ? 'pending, waiting for the relay…'
                  : t.status}
            </strong>
          </li>
        ))}
      </ul>
    </section>
  );
}

function DeadRows({ rows, onRetry, onSkip, more }: { rows: OutboxRow[]; onRetry: (row: OutboxRow) => void; onSkip: (row: OutboxRow) => void; more: boolean }) {
  return (
    <section aria-labelledby="dead-title">
      <h2 id="dead-title">Dead rows</h2>
      {rows.length === 0 ? (
        <Empty>
          <p>No dead rows: nothing is stuck. A row dies after OUTBOX_MAX_ATTEMPTS failed sends of the record itself (too large, refused by the topic).</p>
        </Empty>
      ) : (
        <div class="table-wrap">
          <table data-testid="dead-rows">
            <caption>
              Rows the relay gave up on, oldest first{more ? ' (the first 100)' : ''}; each holds back its user’s later rows until retried or skipped
            </caption>
            <thead>
              <tr>
                <th scope="col">Row</th>
                <th scope="col">Event</th>
                <th scope="col">User</th>
                <th scope="col" class="num">
                  Attempts
                </th>
                <th scope="col">Last error</th>
                <th scope="col">Written</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id} data-row={row.id}>
                  <th scope="row">#{row.id}</th>
                  <td>
                    {row.event_type}
                    <br />
                    <code class="muted">{row.event_id}</code>
                  </td>
                  <td>{row.user_id}</td>
                  <td class="num">{formatNumber(row.attempts)}</td>
                  <td class="error-text">{row.last_error ?? '—'}</td>
                  <td>{formatDateTime(row.created_at)}</td>
                  <td class="actions">
                    <button type="button" onClick={() => onRetry(row)} aria-label={`Retry row #${row.id}`}>
                      Retry
                    </button>
                    <button type="button" class="button-danger-quiet" onClick={() => onSkip(row)} aria-label={`Skip row #${row.id}`}>
                      Skip
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function HeldUsers({ stats }: { stats: OutboxStats }) {
  return (
    <section aria-labelledby="held-title">
      <h2 id="held-title">Held back</h2>
      {stats.held_users.length === 0 ? (
        <Empty>
          <p>No user’s events wait behind a dead or retrying row.</p>
        </Empty>
      ) : (
        <div class="table-wrap">
          <table data-testid="held-users">
            <caption>
              Users whose later rows wait behind a dead or retrying row ({formatNumber(stats.held_users_count)}
              {stats.held_users_count > stats.held_users.length ? `, the first ${stats.held_users.length} shown` : ''})
            </caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Blocking row</th>
                <th scope="col">Its status</th>
                <th scope="col" class="num">
                  Attempts
                </th>
                <th scope="col">Last error</th>
                <th scope="col" class="num">
                  Rows waiting
                </th>
              </tr>
            </thead>
            <tbody>
              {stats.held_users.map((u) => (
                <tr key={u.user_id}>
                  <th scope="row">{u.user_id}</th>
                  <td>#{u.blocking_id}</td>
                  <td>{u.blocking_status === 'dead' ? 'dead' : `retrying at ${formatDateTime(u.next_attempt_at)}`}</td>
                  <td class="num">{formatNumber(u.attempts)}</td>
                  <td class="error-text">{u.last_error ?? '—'}</td>
                  <td class="num">{formatNumber(u.waiting)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Relays({ relays, unassigned }: { relays: RelayLease[]; unassigned: number[] }) {
  return (
    <section aria-labelledby="relays-title">
      <h2 id="relays-title">Relays and shards</h2>
      {unassigned.length > 0 && (
        <p class="note note-warn" role="status">
          {unassigned.length} of 64 shards have no relay ({shardRanges(unassigned)}): their rows wait until a relay takes them (within
          OUTBOX_REBALANCE_INTERVAL).
        </p>
      )}
      {relays.length === 0 ? (
        <Empty>
          <p>No relay is running: rows stay pending. Start the gateway with RELAY_ENABLED=true or a standalone relay (npm run start:relay).</p>
        </Empty>
      ) : (
        <div class="table-wrap">
          <table data-testid="relays">
            <caption>Live relay instances and the shard leases they hold</caption>
            <thead>
              <tr>
                <th scope="col">Instance</th>
                <th scope="col" class="num">
                  PostgreSQL pid
                </th>
                <th scope="col">Connected</th>
                <th scope="col" class="num">
                  Shards
                </th>
                <th scope="col">Which</th>
              </tr>
            </thead>
            <tbody>
              {relays.map((r) => (
                <tr key={r.pid}>
                  <th scope="row">
                    <code>{r.instance_id}</code>
                  </th>
                  <td class="num">{r.pid}</td>
                  <td>{formatDateTime(r.connected_at)}</td>
                  <td class="num">{r.shards.length}</td>
                  <td>{shardRanges(r.shards)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function SkipDialog({ row, onClose, onSkipped }: { row: OutboxRow; onClose: () => void; onSkipped: (row: OutboxRow) => void }) {
  const { gateway } = useServices();
  const [reason, setReason] = useState('');
  const [failure, setFailure] = useState<Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const problem = failure instanceof ApiError ? failure.problemOf('reason') : undefined;
  const skip = async () => {
    setBusy(true);
    setFailure(undefined);
    try {
      const result = await gateway.send<{ skip_id: string; row: OutboxRow }>('POST', `/v1/admin/outbox/${row.id}/skip`, { reason });
      onSkipped(result.row);
    } catch (e) {
      setFailure(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <ConfirmDialog
      open
      title={`Skip outbox row ${describe(row)}?`}
      confirmLabel={`Skip row #${row.id}`}
      danger
      busy={busy}
      onCancel={onClose}
      onConfirm={() => void skip()}
      testId="confirm-skip"
    >
      <p>
        The row is set aside for good: it is never published unless replayed, and its user’s later rows move on. Who skipped it and why is kept in outbox.skips.
      </p>
      <Field id="skip-reason" label="Why (kept with the skip)" problem={problem} hint="3 to 500 characters">
        <textarea id="skip-reason" rows={3} value={reason} onInput={(e) => setReason(e.currentTarget.value)} {...describedBy('skip-reason', problem, 'hint')} />
      </Field>
      {failure && !problem && <ErrorNote error={failure} context="Not skipped" />}
    </ConfirmDialog>
  );
}

interface ReplayDraft {
  from_id: string;
  to_id: string;
  from: string;
  to: string;
  event_types: string;
  user_ids: string;
}

const EMPTY_REPLAY: ReplayDraft = { from_id: '', to_id: '', from: '', to: '', event_types: '', user_ids: '' };

function replayBody(d: ReplayDraft): Record<string, unknown> {
  const id = (v: string) => (v.trim() === '' ? undefined : /^\d+$/.test(v.trim()) ? Number(v.trim()) : v.trim());
  const list = (v: string) => {
    const items = v.split(/[\s,]+/).filter(Boolean);
    return items.length ? items : undefined;
  };
  const text = (v: string) => (v.trim() === '' ? undefined : v.trim());
  return { from_id: id(d.from_id), to_id: id(d.to_id), from: text(d.from), to: text(d.to), event_types: list(d.event_types), user_ids: list(d.user_ids) };
}

/**
 * Replay in two steps: a dry run counts what the filter matches; only then can that replay be confirmed. Changing
 * the filter asks for a new dry run.
 */
function Replay() {
  const { gateway } = useServices();
  const [draft, setDraft] = useState<ReplayDraft>(EMPTY_REPLAY);
  const [dryRun, setDryRun] = useState<{ body: string; matched: number } | undefined>(undefined);
  const [done, setDone] = useState<ReplayResult | undefined>(undefined);
  const [failure, setFailure] = useState<Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const body = replayBody(draft);
  const bodyKey = JSON.stringify(body);
  const counted = dryRun && dryRun.body === bodyKey ? dryRun : undefined;
  const problem = (field: string) => (failure instanceof ApiError ? failure.problemOf(field) : undefined);
  const known = ['from_id', 'to_id', 'from', 'to', 'event_types', 'user_ids'];
  const set = (field: keyof ReplayDraft) => (e: { currentTarget: { value: string } }) => {
    setDraft({ ...draft, [field]: e.currentTarget.value });
    setDone(undefined);
  };

  const run = async (dry: boolean) => {
    setBusy(true);
    setFailure(undefined);
    try {
      const result = await gateway.send<ReplayResult>('POST', '/v1/admin/outbox/replay', { ...body, dry_run: dry });
      if (dry) setDryRun({ body: bodyKey, matched: result.matched });
      else {
        setDone(result);
        setDryRun(undefined);
      }
    } catch (e) {
      setFailure(e as Error);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  const fields: Array<{ id: keyof ReplayDraft; label: string; hint: string }> = [
    { id: 'from_id', label: 'From row id', hint: 'inclusive' },
    { id: 'to_id', label: 'To row id', hint: 'inclusive' },
    { id: 'from', label: 'Written from', hint: 'RFC 3339, e.g. 2026-11-23T10:00:00Z' },
    { id: 'to', label: 'Written until', hint: 'RFC 3339, inclusive' },
    { id: 'event_types', label: 'Event types', hint: 'comma-separated; empty: all' },
    { id: 'user_ids', label: 'Users', hint: 'comma-separated; empty: all' },
  ];

  return (
    <section aria-labelledby="replay-title">
      <h2 id="replay-title">Replay</h2>
      <p>
        Publishes retained rows again with their original event ids and payloads (published, dead and skipped ones; pending rows go anyway). The ledger applies
        each event id once, so a replay changes no total. Every condition given must hold; none: every retained row.
      </p>
      <form
        class="form-grid"
        noValidate
        data-testid="replay-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(true);
        }}
      >
        {fields.map((f) => {
          const id = `replay-${f.id}`;
          const p = problem(f.id);
          return (
            <Field key={f.id} id={id} label={f.label} problem={p} hint={f.hint}>
              <input id={id} type="text" value={draft[f.id]} onInput={set(f.id)} autocomplete="off" spellcheck={false} {...describedBy(id, p, f.hint)} />
            </Field>
          );
        })}
        {failure && !(failure instanceof ApiError && failure.details.some((d) => known.includes(d.field))) && <ErrorNote error={failure} context="Replay" />}
        <div class="form-actions">
          <button type="submit" disabled={busy}>
            {busy && !confirming ? 'Counting…' : 'Dry run: count matching rows'}
          </button>
          <button type="button" class="button-primary" disabled={!counted || counted.matched === 0 || busy} onClick={() => setConfirming(true)}>
            {counted ? `Replay ${formatNumber(counted.matched)} rows…` : 'Replay…'}
          </button>
        </div>
        <p role="status" data-testid="replay-result" class="replay-result">
          {counted
            ? counted.matched === 0
              ? 'Dry run: no retained row matches; nothing would be published.'
              : `Dry run: ${formatNumber(counted.matched)} ${counted.matched === 1 ? 'row matches' : 'rows match'}; a replay publishes ${counted.matched === 1 ? 'it' : 'them'} again.`
            : done
              ? `Replay ${done.replay_id} started: ${formatNumber(done.matched)} rows set back to pending; the relay publishes them shortly.`
              : dryRun
                ? 'The filter changed: run the dry run again.'
                : 'Run a dry run first: it counts the rows and changes nothing.'}
        </p>
      </form>
      <ConfirmDialog
        open={confirming && counted !== undefined}
        title={`Replay ${formatNumber(counted?.matched ?? 0)} outbox rows?`}
        confirmLabel={`Replay ${formatNumber(counted?.matched ?? 0)} rows`}
        busy={busy}
        onCancel={() => setConfirming(false)}
        onConfirm={() => void run(false)}
        testId="confirm-replay"
      >
        <p>
          The dry run matched {formatNumber(counted?.matched ?? 0)} rows with this filter: <code>{bodyKey === '{}' ? 'every retained row' : bodyKey}</code>.
          They are set back to pending and published again in order per user. The replay is audited in outbox.replays.
        </p>
      </ConfirmDialog>
    </section>
  );
}
