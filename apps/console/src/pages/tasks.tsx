import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { can } from '../auth';
import { Card, describedBy, Empty, ErrorNote, Field, LiveStatus, Loading } from '../components/common';
import { ConfirmDialog } from '../components/dialog';
import { useServices } from '../context';
import { formatClock, formatCost, formatDateTime, formatNumber, formatRelative, formatTokens } from '../format';
import { usePoll, useStoredState } from '../hooks';
import type { RunningTasks, Task } from '../types';

type Sort = '-started_at' | 'started_at' | '-last_update_at' | 'progress';

const SORTS: Array<{ value: Sort; label: string }> = [
  { value: '-started_at', label: 'Newest started first' },
  { value: 'started_at', label: 'Oldest started first' },
  { value: '-last_update_at', label: 'Latest heartbeat first' },
  { value: 'progress', label: 'Least progress first' },
];

const PAGE_SIZE = 50;

interface Filters {
  kind: string;
  user: string;
  stalledOnly: boolean;
  sort: Sort;
}

interface Loaded {
  list: RunningTasks;
  /** Open stalled tasks under the same kind and user filters (all pages). */
  stalled: number;
}

const describe = (t: Pick<Task, 'kind' | 'user_id' | 'external_id' | 'source'>) => `${t.kind} of user ${t.user_id} (${t.source} ${t.external_id})`;

const sameDay = (iso: string) => new Date(iso).toDateString() === new Date().toDateString();

/** "3 minutes ago" with the absolute time under it (the clock today, else date and time; in full as its title). */
function When({ iso, empty = '—' }: { iso: string | null; empty?: string }) {
  if (!iso) return <span class="muted">{empty}</span>;
  return (
    <time class="when" dateTime={iso} title={formatDateTime(iso)}>
      {formatRelative(iso)}
      <br />
      <span class="muted">{sameDay(iso) ? formatClock(new Date(iso)) : formatDateTime(iso)}</span>
    </time>
  );
}

export function TasksPage() {
  const { gateway, session } = useServices();
  const admin = can.tasksAdmin(session);
  const [filters, setFilters] = useStoredState<Filters>('tasks', { kind: '', user: '', stalledOnly: false, sort: '-started_at' });
  const [kindDraft, setKindDraft] = useState(filters.kind);
  const [userDraft, setUserDraft] = useState(filters.user);
  /** The cursors of the pages before this one (empty: the first page), and this page's. */
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const [failing, setFailing] = useState<Task | undefined>(undefined);
  const [done, setDone] = useState<{ task: Task; at: Date } | undefined>(undefined);
  const [knownKinds, setKnownKinds] = useState<string[]>([]);

  const update = (patch: Partial<Filters>) => {
    setCursors([]);
    setFilters({ ...filters, ...patch });
  };

  const polled = usePoll<Loaded>(
    async (signal) => {
      const common = { kind: filters.kind || undefined, user_id: filters.user || undefined };
      const [list, stalled] = await Promise.all([
        gateway.get<RunningTasks>(
          '/v1/tasks/running',
          { ...common, stalled: filters.stalledOnly ? true : undefined, sort: filters.sort, limit: PAGE_SIZE, cursor },
          signal,
        ),
        gateway.get<RunningTasks>('/v1/tasks/running', { ...common, stalled: true, limit: 1 }, signal),
      ]);
      const kinds = Object.keys(list.by_kind);
      setKnownKinds((known) => (kinds.every((k) => known.includes(k)) ? known : [...new Set([...known, ...kinds])].sort()));
      return { list, stalled: stalled.total_tasks };
    },
    [filters, cursor],
  );
  const { data, error, loading } = polled;
  const problem = (field: string) => (error instanceof ApiError ? error.problemOf(field) : undefined);

  return (
    <>
      <div class="page-head">
        <h1>
          Tasks
          {data && data.stalled > 0 && (
            <span class="badge badge-stalled head-badge" data-testid="stalled-count">
              {formatNumber(data.stalled)} stalled
            </span>
          )}
        </h1>
        <LiveStatus label="the tasks" updatedAt={polled.updatedAt} error={error} onRefresh={polled.refresh} />
      </div>

      <form
        class="filters"
        aria-label="Which tasks"
        onSubmit={(e) => {
          e.preventDefault();
          update({ kind: kindDraft.trim(), user: userDraft.trim() });
        }}
      >
        <Field id="tasks-kind" label="Kind" problem={problem('kind')} hint="Empty: every kind">
          <input
            id="tasks-kind"
            type="search"
            list="tasks-kinds"
            value={kindDraft}
            placeholder="every kind"
            autocomplete="off"
            spellcheck={false}
            onInput={(e) => setKindDraft(e.currentTarget.value)}
            onChange={(e) => update({ kind: e.currentTarget.value.trim() })}
            {...describedBy('tasks-kind', problem('kind'), 'hint')}
          />
          <datalist id="tasks-kinds">
            {knownKinds.map((k) => (
              <option key={k} value={k} />
            ))}
          </datalist>
        </Field>
        <Field id="tasks-user" label="User" problem={problem('user_id')} hint="Empty: everyone">
          <input
            id="tasks-user"
            type="search"
            value={userDraft}
            placeholder="everyone"
            autocomplete="off"
            spellcheck={false}
            onInput={(e) => setUserDraft(e.currentTarget.value)}
            onChange={(e) => update({ user: e.currentTarget.value.trim() })}
            {...describedBy('tasks-user', problem('user_id'), 'hint')}
          />
        </Field>
        <Field id="tasks-sort" label="Sort">
          <select id="tasks-sort" value={filters.sort} onChange={(e) => update({ sort: e.currentTarget.value as Sort })}>
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </Field>
        <div class="field field-check">
          <label>
            <input type="checkbox" checked={filters.stalledOnly} onChange={(e) => update({ stalledOnly: e.currentTarget.checked })} /> Stalled only
          </label>
        </div>
        <button type="submit">Show tasks</button>
      </form>

      {error && <ErrorNote error={error} context={data ? 'Refresh failed' : 'Tasks'} />}
      {loading && !data && <Loading what="the running tasks" />}
      {done && (
        <p class="note note-info" role="status" data-testid="task-failed-note">
          {formatClock(done.at)}: task {describe(done.task)} marked failed{done.task.error ? ` (“${done.task.error}”)` : ''}.
        </p>
      )}
      {data && (
        <>
          <dl class="cards" aria-label="Open tasks now">
            <Card label="Open tasks" value={formatNumber(data.list.total_tasks)} hint={filters.stalledOnly ? 'stalled only' : undefined} testId="stat-open" />
            <Card
              label="Stalled"
              value={formatNumber(data.stalled)}
              hint={data.stalled ? 'no heartbeat for TASK_STALL_AFTER' : 'every open task has a recent heartbeat'}
              testId="stat-stalled"
            />
            <Card label="Running" value={formatNumber(data.list.by_status.running ?? 0)} testId="stat-running" />
            <Card label="Pending" value={formatNumber(data.list.by_status.pending ?? 0)} testId="stat-pending" />
          </dl>
          {Object.keys(data.list.by_kind).length > 0 && (
            <div class="kind-counts">
              <span class="muted" id="by-kind-label">
                Open by kind:
              </span>
              <ul aria-labelledby="by-kind-label" data-testid="by-kind">
                {Object.entries(data.list.by_kind)
                  .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
                  .map(([kind, n]) => (
                    <li key={kind} data-kind={kind}>
                      <code>{kind}</code> <strong>{formatNumber(n)}</strong>
                    </li>
                  ))}
              </ul>
            </div>
          )}

          {data.list.tasks.length === 0 ? (
            <Empty>
              <p>
                {filters.stalledOnly || filters.kind || filters.user
                  ? 'No open task matches these filters.'
                  : 'No open tasks: nothing is pending or running. Services register tasks with POST /v1/tasks (scope tasks:write).'}
              </p>
            </Empty>
          ) : (
            <TaskTable tasks={data.list.tasks} admin={admin} onFail={setFailing} more={data.list.next_cursor !== null || cursors.length > 0} />
          )}
          {(cursors.length > 0 || data.list.next_cursor) && (
            <div class="pager">
              <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
                Previous page
              </button>
              <button type="button" disabled={!data.list.next_cursor} onClick={() => data.list.next_cursor && setCursors([...cursors, data.list.next_cursor])}>
                Next page
              </button>
            </div>
          )}
        </>
      )}

      {failing && (
        <FailDialog
          task={failing}
          onClose={() => setFailing(undefined)}
          onFailed={(task) => {
            setFailing(undefined);
            setDone({ task, at: new Date() });
            polled.refresh();
          }}
        />
      )}
    </>
  );
}

function TaskTable({ tasks, admin, onFail, more }: { tasks: Task[]; admin: boolean; onFail: (t: Task) => void; more: boolean }) {
  return (
    <div class="table-wrap">
      <table data-testid="tasks" class="tasks-table">
        <caption>Open tasks{more ? ` (${PAGE_SIZE} a page)` : ''}; stalled ones have had no heartbeat for TASK_STALL_AFTER</caption>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">User</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col">Started</th>
            <th scope="col">Last heartbeat</th>
            <th scope="col">Estimated completion</th>
            <th scope="col" class="num">
              Tokens
            </th>
            <th scope="col" class="num">
              Cost
            </th>
            {admin && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => (
            <tr key={t.task_id} data-task={t.task_id} data-stalled={t.stalled ? 'true' : 'false'} class={t.stalled ? 'row-stalled' : undefined}>
              <th scope="row">
                <code>{t.kind}</code>
                <br />
                <span class="muted">
                  {t.source} · {t.external_id}
                </span>
              </th>
              <td data-column="user">{t.user_id}</td>
              <td data-column="status">
                <span class={`status status-task-${t.status}`}>{t.status}</span>
                {t.stalled && (
                  <>
                    {' '}
                    <span class="badge badge-stalled" data-testid="stalled-badge">
                      stalled
                    </span>
                  </>
                )}
                {t.message && (
                  <>
                    <br />
                    <span class="muted">{t.message}</span>
                  </>
                )}
              </td>
              <td data-column="progress" class="progress-cell">
                <progress max={100} value={t.progress} aria-label={`Progress of ${t.kind} of user ${t.user_id}`} />{' '}
                <span class="progress-value">{formatNumber(t.progress)}%</span>
                {t.total_items !== null && (
                  <span class="muted">
                    {' '}
                    ({formatNumber(t.processed_items)} of {formatNumber(t.total_items)})
                  </span>
                )}
              </td>
              <td data-column="started">
                <When iso={t.started_at} empty="not started" />
              </td>
              <td data-column="last_update">
                <When iso={t.last_update_at} />
              </td>
              <td data-column="eta">
                <When iso={t.estimated_completion_at} empty="no progress yet" />
              </td>
              <td class="num" data-column="tokens">
                {formatTokens(t.tokens)}
              </td>
              <td class="num" data-column="cost">
                {formatCost(t.cost_micros)}
                {t.unpriced_events > 0 && <span class="muted"> ({formatNumber(t.unpriced_events)} unpriced)</span>}
              </td>
              {admin && (
                <td class="actions">
                  {t.stalled ? (
                    <button type="button" class="button-danger-quiet" onClick={() => onFail(t)} aria-label={`Fail task ${describe(t)}`}>
                      Fail task
                    </button>
                  ) : (
                    <span class="muted">—</span>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function FailDialog({ task, onClose, onFailed }: { task: Task; onClose: () => void; onFailed: (task: Task) => void }) {
  const { gateway } = useServices();
  const [reason, setReason] = useState('');
  const [failure, setFailure] = useState<Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const problem = failure instanceof ApiError ? failure.problemOf('error') : undefined;
  const fail = async () => {
    setBusy(true);
    setFailure(undefined);
    try {
      const result = await gateway.send<Task>('POST', `/v1/tasks/${task.task_id}/complete`, { outcome: 'failed', error: reason.trim() || undefined });
      onFailed(result);
    } catch (e) {
      setFailure(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <ConfirmDialog
      open
      title={`Fail task ${describe(task)}?`}
      confirmLabel="Fail task"
      danger
      busy={busy}
      onCancel={onClose}
      onConfirm={() => void fail()}
      testId="confirm-fail"
    >
      <p>
        Task <code>{task.task_id}</code> of source <strong>{task.source}</strong> (external id <code>{task.external_id}</code>), {task.status} at{' '}
        {formatNumber(task.progress)}%, last heartbeat {formatRelative(task.last_update_at)}.
      </p>
      <p>It ends as failed for good: the service that runs it can no longer complete it. Your name is logged with the failure.</p>
      <Field id="fail-error" label="Error (kept with the task)" problem={problem} hint="Up to 2,000 characters">
        <textarea
          id="fail-error"
          rows={3}
          maxLength={2000}
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
          {...describedBy('fail-error', problem, 'hint')}
        />
      </Field>
      {failure && !problem && <ErrorNote error={failure} context="The task was not failed" />}
    </ConfirmDialog>
  );
}
