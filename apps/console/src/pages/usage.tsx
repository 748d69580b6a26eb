import { useMemo, useState } from 'preact/hooks';
import { ApiError, Query, saveFile } from '../api';
import { can } from '../auth';
import { OTHER_COLOR, SERIES_COLORS, Series, StackedBars } from '../components/chart';
import { Card, describedBy, Empty, ErrorNote, Field, LiveStatus, Loading } from '../components/common';
import { Column, SortableTable } from '../components/table';
import { useServices } from '../context';
import { bucketLabel, formatCost, formatDateTime, formatNumber, formatTokens, Interval } from '../format';
import { usePoll, useStoredState } from '../hooks';
import { browserTimeZone, dateInputValue, localDate, RANGE_PRESETS, RangePreset, resolveRange, timeZones } from '../time';
import { GROUP_FIELD, GroupBy, Sessions, Summary, SummaryGroup, Timeline, UsageSums } from '../types';

type StackBy = 'model' | 'source' | 'operation' | 'channel';

interface Filters {
  user: string;
  preset: RangePreset;
  from: string;
  to: string;
  interval: Interval;
  tz: string;
  stackBy: StackBy;
  groupBy: GroupBy;
}

const STACK_OPTIONS: Array<{ value: StackBy; label: string }> = [
  { value: 'model', label: 'Model' },
  { value: 'source', label: 'Source' },
  { value: 'operation', label: 'Operation' },
  { value: 'channel', label: 'Channel' },
];

const GROUP_OPTIONS: Array<{ value: GroupBy; label: string; operatorsOnly?: boolean }> = [
  { value: 'model', label: 'Model' },
  { value: 'reason', label: 'Reason' },
  { value: 'day', label: 'Day' },
  { value: 'conversation', label: 'Conversation' },
  { value: 'user', label: 'User', operatorsOnly: true },
  { value: 'source', label: 'Source' },
  { value: 'channel', label: 'Channel' },
  { value: 'operation', label: 'Operation' },
];

/** Series drawn one by one; the rest of the range's usage is stacked as one grey "other" series. */
const MAX_SERIES = 5;

interface UsageData {
  range: { from: string; to: string };
  currency: string;
  total: Timeline;
  stacked: Array<{ key: string; timeline: Timeline }>;
  table: Summary;
  topUsers: Summary | null;
  sessions: Sessions;
}

const ZONES = timeZones();

function sumOf(rows: Array<number | null>): number {
  return rows.reduce<number>((a, b) => a + (b ?? 0), 0);
}

/** The stacked series of one measure: one per drawn key, plus "other" = total − drawn (adjustments without a model…). */
function seriesOf(data: UsageData, measure: (s: UsageSums) => number, stackLabel: string): Series[] {
  const drawn = data.stacked.map(({ key, timeline }, i) => ({
    label: key,
    color: SERIES_COLORS[i % SERIES_COLORS.length]!,
    values: timeline.buckets.map(measure),
  }));
  const other = data.total.buckets.map((bucket, b) => measure(bucket) - sumOf(drawn.map((s) => s.values[b] ?? 0)));
  if (other.some((v) => Math.abs(v) > 1e-9)) drawn.push({ label: `other / no ${stackLabel}`, color: OTHER_COLOR, values: other });
  return drawn;
}

export function UsagePage() {
  const { session, ledger } = useServices();
  const operator = can.readAll(session);
  const [filters, setFilters] = useStoredState<Filters>('usage', {
    user: '',
    preset: '7d',
    from: dateInputValue(localDate(Date.now() - 6 * 86_400_000, browserTimeZone())),
    to: dateInputValue(localDate(Date.now(), browserTimeZone())),
    interval: 'day',
    tz: browserTimeZone(),
    stackBy: 'model',
    groupBy: 'model',
  });
  const [userDraft, setUserDraft] = useState(filters.user);
  const [sessionsPage, setSessionsPage] = useState(0);
  const [exporting, setExporting] = useState<string | undefined>(undefined);
  const [exportError, setExportError] = useState<Error | undefined>(undefined);
  const update = (patch: Partial<Filters>) => {
    if (patch.user !== undefined && patch.user !== filters.user) setSessionsPage(0);
    setFilters({ ...filters, ...patch });
  };
  const pickUser = (user: string) => {
    setUserDraft(user);
    update({ user });
  };
  const userId = operator ? filters.user.trim() || undefined : undefined;

  const polled = usePoll<UsageData>(
    async (signal) => {
      const range = resolveRange(filters.preset, filters.tz, filters);
      if ('error' in range) throw new ApiError('ledger', 400, 'VALIDATION_FAILED', range.error, [{ field: 'from', problem: range.error }]);
      const common: Query = { from: range.from, to: range.to, tz: filters.tz, user_id: userId };
      const wantTop = operator && !userId;
      const [stackSummary, total, table, topUsers, sessions] = await Promise.all([
        ledger.get<Summary>('/v1/usage/summary', { ...common, group_by: filters.stackBy }, signal),
        ledger.get<Timeline>('/v1/usage/timeline', { ...common, interval: filters.interval }, signal),
        ledger.get<Summary>('/v1/usage/summary', { ...common, group_by: filters.groupBy }, signal),
        wantTop ? ledger.get<Summary>('/v1/usage/summary', { ...common, group_by: 'user' }, signal) : Promise.resolve(null),
        ledger.get<Sessions>('/v1/usage/sessions', { user_id: userId, limit: 10, offset: sessionsPage * 10 }, signal),
      ]);
      const field = GROUP_FIELD[filters.stackBy];
      const keys = stackSummary.groups
        .filter((g) => typeof g[field] === 'string')
        .sort((a, b) => Math.abs(b.tokens_delta) - Math.abs(a.tokens_delta))
        .slice(0, MAX_SERIES)
        .map((g) => g[field] as string);
      const stacked = await Promise.all(
        keys.map(async (key) => ({
          key,
          timeline: await ledger.get<Timeline>('/v1/usage/timeline', { ...common, interval: filters.interval, [filters.stackBy]: key }, signal),
        })),
      );
      return { range, currency: total.currency, total, stacked, table, topUsers, sessions };
    },
    [filters, userId, sessionsPage],
  );
  const { data, error, loading } = polled;
  const problem = (...fields: string[]) => (error instanceof ApiError ? error.problemOf(...fields) : undefined);
  const rangeProblem = problem('from', 'to');
  const fieldProblem = rangeProblem ?? problem('user_id', 'tz', 'interval');

  const labels = useMemo(() => data?.total.buckets.map((b) => bucketLabel(b.local_start, data.total.interval)) ?? [], [data]);
  const stackLabel = STACK_OPTIONS.find((o) => o.value === filters.stackBy)!.label.toLowerCase();
  const tokenSeries = useMemo(() => (data ? seriesOf(data, (s) => s.tokens_delta, stackLabel) : []), [data, stackLabel]);
  const costSeries = useMemo(() => (data ? seriesOf(data, (s) => (s.cost_micros ?? 0) / 1e6, stackLabel) : []), [data, stackLabel]);

  const exportCsv = async (what: 'summary' | 'entries') => {
    if (!data) return;
    setExporting(what);
    setExportError(undefined);
    try {
      const query: Query = { from: data.range.from, to: data.range.to, user_id: userId };
      const file =
        what === 'summary'
          ? await ledger.csv('/v1/usage/summary', { ...query, tz: filters.tz, group_by: filters.groupBy })
          : await ledger.csv('/v1/usage/entries', query);
      saveFile(file.blob, file.filename);
    } catch (e) {
      setExportError(e as Error);
    } finally {
      setExporting(undefined);
    }
  };

  const whose = operator ? (userId ? `user ${userId}` : 'all users') : `you (${session.userId})`;
  const totals = data?.total.totals;
  const currency = data?.currency ?? 'USD';

  return (
    <>
      <div class="page-head">
        <h1>Usage</h1>
        <LiveStatus label="usage" updatedAt={polled.updatedAt} error={error} onRefresh={polled.refresh} />
      </div>

      <form
        class="filters"
        aria-label="What to show"
        onSubmit={(e) => {
          e.preventDefault();
          update({ user: userDraft.trim() });
        }}
      >
        {operator ? (
          <Field id="usage-user" label="User" problem={problem('user_id')} hint="Empty: everyone">
            <input
              id="usage-user"
              type="search"
              value={userDraft}
              placeholder="everyone"
              autocomplete="off"
              spellcheck={false}
              onInput={(e) => setUserDraft(e.currentTarget.value)}
              onChange={(e) => update({ user: e.currentTarget.value.trim() })}
              {...describedBy('usage-user', problem('user_id'), 'hint')}
            />
          </Field>
        ) : (
          <p class="field-static">
            Your usage (<strong>{session.userId}</strong>)
          </p>
        )}
        <Field id="usage-range" label="Range" problem={rangeProblem}>
          <select
            id="usage-range"
            value={filters.preset}
            onChange={(e) => {
              const preset = e.currentTarget.value as RangePreset;
              update({ preset, interval: RANGE_PRESETS.find((p) => p.value === preset)!.interval });
            }}
            {...describedBy('usage-range', rangeProblem)}
          >
            {RANGE_PRESETS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
        </Field>
        {filters.preset === 'custom' && (
          <>
            <Field id="usage-from" label="From (first day)">
              <input id="usage-from" type="date" value={filters.from} onChange={(e) => update({ from: e.currentTarget.value })} />
            </Field>
            <Field id="usage-to" label="To (last day)">
              <input id="usage-to" type="date" value={filters.to} onChange={(e) => update({ to: e.currentTarget.value })} />
            </Field>
          </>
        )}
        <Field id="usage-interval" label="Interval" problem={problem('interval')}>
          <select id="usage-interval" value={filters.interval} onChange={(e) => update({ interval: e.currentTarget.value as Interval })}>
            <option value="hour">Hour</option>
            <option value="day">Day</option>
            <option value="week">Week</option>
            <option value="month">Month</option>
          </select>
        </Field>
        <Field id="usage-tz" label="Time zone" problem={problem('tz')}>
          <select id="usage-tz" value={filters.tz} onChange={(e) => update({ tz: e.currentTarget.value })}>
            {ZONES.map((zone) => (
              <option key={zone} value={zone}>
                {zone}
              </option>
            ))}
          </select>
        </Field>
        <Field id="usage-stack" label="Stack by">
          <select id="usage-stack" value={filters.stackBy} onChange={(e) => update({ stackBy: e.currentTarget.value as StackBy })}>
            {STACK_OPTIONS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" class="visually-hidden">
          Apply
        </button>
      </form>

      {error && !fieldProblem && <ErrorNote error={error} context={data ? 'Refresh failed' : 'Usage'} />}
      {loading && !data && <Loading what="usage" />}

      {data && totals && (
        <>
          <p class="range-note">
            {whose}, {formatDateTime(data.range.from, filters.tz)} – {formatDateTime(data.range.to, filters.tz)} ({filters.tz})
          </p>
          <dl class="cards" aria-label="Totals of the range">
            <Card label="Tokens" value={formatTokens(totals.tokens_delta)} testId="total-tokens" />
            <Card
              label="Cost"
              value={formatCost(totals.cost_micros, currency)}
              hint={totals.unpriced_events ? `${formatNumber(totals.unpriced_events)} unpriced events not included` : undefined}
              testId="total-cost"
            />
            <Card
              label="Events"
              value={formatNumber(totals.events_count)}
              hint={`${formatNumber(totals.messages_counted)} messages, ${formatNumber(totals.adjustments_count)} adjustments`}
            />
          </dl>

          {totals.events_count === 0 ? (
            <Empty>
              <p>No usage for {whose} in this range.</p>
              <p>Widen the range, pick another user, or post a message with usage through the gateway; it shows here within seconds.</p>
            </Empty>
          ) : (
            <div class="charts">
              <section aria-labelledby="chart-tokens">
                <h2 id="chart-tokens">
                  Tokens per {filters.interval}, by {stackLabel}
                </h2>
                <StackedBars
                  testId="chart-tokens"
                  labels={labels}
                  series={tokenSeries}
                  format={(v) => formatNumber(v)}
                  axisLabel="tokens"
                  summary={`Tokens per ${filters.interval} by ${stackLabel}, ${labels[0] ?? ''} to ${labels[labels.length - 1] ?? ''}: ${formatTokens(totals.tokens_delta)} in all. The table below has the numbers.`}
                />
              </section>
              <section aria-labelledby="chart-cost">
                <h2 id="chart-cost">
                  Cost per {filters.interval}, by {stackLabel}
                </h2>
                <StackedBars
                  testId="chart-cost"
                  labels={labels}
                  series={costSeries}
                  format={(v) => formatCost(Math.round(v * 1e6), currency)}
                  axisLabel={currency}
                  summary={`Cost per ${filters.interval} by ${stackLabel}: ${formatCost(totals.cost_micros, currency)} in all. The table below has the numbers.`}
                />
              </section>
            </div>
          )}

          <details class="data-table">
            <summary>The charts’ numbers per {filters.interval}</summary>
            <BucketTable data={data} labels={labels} currency={currency} />
          </details>

          <section aria-labelledby="summary-title">
            <div class="section-head">
              <h2 id="summary-title">Summary by {GROUP_OPTIONS.find((o) => o.value === filters.groupBy)!.label.toLowerCase()}</h2>
              <div class="inline-field">
                <label for="usage-group">Group by</label>
                <select id="usage-group" value={filters.groupBy} onChange={(e) => update({ groupBy: e.currentTarget.value as GroupBy })}>
                  {GROUP_OPTIONS.filter((o) => operator || !o.operatorsOnly).map((o) => (
                    <option key={o.value} value={o.value}>
                      {o.label}
                    </option>
                  ))}
                </select>
              </div>
              <button type="button" onClick={() => void exportCsv('summary')} disabled={exporting !== undefined}>
                {exporting === 'summary' ? 'Exporting…' : 'Export summary (CSV)'}
              </button>
              <button type="button" onClick={() => void exportCsv('entries')} disabled={exporting !== undefined}>
                {exporting === 'entries' ? 'Exporting…' : 'Export entries (CSV)'}
              </button>
            </div>
            {exportError && <ErrorNote error={exportError} context="Export" />}
            {data.table.groups.length === 0 ? (
              <Empty>
                <p>Nothing to summarise in this range.</p>
              </Empty>
            ) : (
              <SummaryTable summary={data.table} currency={currency} onUser={operator ? pickUser : undefined} />
            )}
          </section>

          {data.topUsers && <TopUsers summary={data.topUsers} currency={currency} onUser={pickUser} />}

          <SessionsTable
            sessions={data.sessions}
            currency={currency}
            showUser={operator && !userId}
            page={sessionsPage}
            onPage={setSessionsPage}
            whose={whose}
            tz={filters.tz}
          />
        </>
      )}
    </>
  );
}

function BucketTable({ data, labels, currency }: { data: UsageData; labels: string[]; currency: string }) {
  return (
    <div class="table-wrap">
      <table data-testid="timeline-table">
        <caption>
          Per {data.total.interval} in {data.total.tz}
        </caption>
        <thead>
          <tr>
            <th scope="col">Bucket (local start)</th>
            <th scope="col" class="num">
              Tokens
            </th>
            <th scope="col" class="num">
              Cost
            </th>
            <th scope="col" class="num">
              Events
            </th>
          </tr>
        </thead>
        <tbody>
          {data.total.buckets.map((b, i) => (
            <tr key={b.start} data-events={b.events_count}>
              <th scope="row">
                <time dateTime={b.start}>{labels[i]}</time>
              </th>
              <td class="num">{formatNumber(b.tokens_delta)}</td>
              <td class="num">{b.events_count ? formatCost(b.cost_micros, currency) : '—'}</td>
              <td class="num">{formatNumber(b.events_count)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function keyOf(group: SummaryGroup, groupBy: GroupBy): string | null {
  const value = group[GROUP_FIELD[groupBy]];
  return typeof value === 'string' ? value : null;
}

function sumColumns(currency: string, totals: UsageSums): Array<Column<UsageSums>> {
  return [
    {
      key: 'events_count',
      label: 'Events',
      numeric: true,
      value: (r) => r.events_count,
      render: (r) => formatNumber(r.events_count),
      footer: formatNumber(totals.events_count),
    },
    {
      key: 'messages_counted',
      label: 'Messages',
      numeric: true,
      value: (r) => r.messages_counted,
      render: (r) => formatNumber(r.messages_counted),
      footer: formatNumber(totals.messages_counted),
    },
    {
      key: 'prompt_tokens',
      label: 'Prompt',
      numeric: true,
      value: (r) => r.prompt_tokens,
      render: (r) => formatNumber(r.prompt_tokens),
      footer: formatNumber(totals.prompt_tokens),
    },
    {
      key: 'completion_tokens',
      label: 'Completion',
      numeric: true,
      value: (r) => r.completion_tokens,
      render: (r) => formatNumber(r.completion_tokens),
      footer: formatNumber(totals.completion_tokens),
    },
    {
      key: 'cached_tokens',
      label: 'Cached',
      numeric: true,
      value: (r) => r.cached_tokens,
      render: (r) => formatNumber(r.cached_tokens),
      footer: formatNumber(totals.cached_tokens),
    },
    {
      key: 'reasoning_tokens',
      label: 'Reasoning',
      numeric: true,
      value: (r) => r.reasoning_tokens,
      render: (r) => formatNumber(r.reasoning_tokens),
      footer: formatNumber(totals.reasoning_tokens),
    },
    {
      key: 'tokens_delta',
      label: 'Tokens (counted)',
      numeric: true,
      value: (r) => r.tokens_delta,
      render: (r) => formatNumber(r.tokens_delta),
      footer: formatNumber(totals.tokens_delta),
    },
    {
      key: 'cost_micros',
      label: `Cost (${currency})`,
      numeric: true,
      value: (r) => r.cost_micros,
      render: (r) => formatCost(r.cost_micros, currency),
      footer: formatCost(totals.cost_micros, currency),
    },
    {
      key: 'unpriced_events',
      label: 'Unpriced',
      numeric: true,
      value: (r) => r.unpriced_events,
      render: (r) => formatNumber(r.unpriced_events),
      footer: formatNumber(totals.unpriced_events),
    },
  ];
}

function SummaryTable({ summary, currency, onUser }: { summary: Summary; currency: string; onUser?: (user: string) => void }) {
  const groupBy = summary.group_by;
  const label = GROUP_OPTIONS.find((o) => o.value === groupBy)!.label;
  const columns = useMemo<Array<Column<SummaryGroup>>>(
    () => [
      {
        key: 'key',
        label,
        value: (g) => keyOf(g, groupBy),
        render: (g) => {
          const key = keyOf(g, groupBy);
          if (key === null) return <span class="muted">(none)</span>;
          if (groupBy === 'user' && onUser) {
            return (
              <button type="button" class="link" onClick={() => onUser(key)} title={`Show ${key}'s usage`}>
                {key}
              </button>
            );
          }
          return groupBy === 'conversation' ? <code>{key}</code> : key;
        },
        footer: 'Total',
      },
      ...(sumColumns(currency, summary.totals) as Array<Column<SummaryGroup>>),
    ],
    [summary, currency, onUser, groupBy, label],
  );
  return (
    <SortableTable
      testId="summary-table"
      caption={`Usage by ${label.toLowerCase()}, ${summary.groups.length} ${summary.groups.length === 1 ? 'group' : 'groups'}; column headers sort`}
      columns={columns}
      rows={summary.groups}
      rowKey={(g) => String(keyOf(g, groupBy))}
      initialSort={{ key: 'tokens_delta', direction: 'descending' }}
    />
  );
}

function TopUsers({ summary, currency, onUser }: { summary: Summary; currency: string; onUser: (user: string) => void }) {
  const top = [...summary.groups].sort((a, b) => b.tokens_delta - a.tokens_delta).slice(0, 10);
  return (
    <section aria-labelledby="top-users">
      <h2 id="top-users">Top users</h2>
      {top.length === 0 ? (
        <Empty>
          <p>No user has usage in this range.</p>
        </Empty>
      ) : (
        <div class="table-wrap">
          <table data-testid="top-users">
            <caption>The 10 users with the most tokens in the range; pick one to see their usage and sessions</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col" class="num">
                  Tokens
                </th>
                <th scope="col" class="num">
                  Cost
                </th>
                <th scope="col" class="num">
                  Events
                </th>
              </tr>
            </thead>
            <tbody>
              {top.map((g) => (
                <tr key={String(g.user_id)}>
                  <th scope="row">
                    <button type="button" class="link" onClick={() => onUser(String(g.user_id))}>
                      {String(g.user_id)}
                    </button>
                  </th>
                  <td class="num">{formatNumber(g.tokens_delta)}</td>
                  <td class="num">{formatCost(g.cost_micros, currency)}</td>
                  <td class="num">{formatNumber(g.events_count)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function SessionsTable({
  sessions,
  currency,
  showUser,
  page,
  onPage,
  whose,
  tz,
}: {
  sessions: Sessions;
  currency: string;
  showUser: boolean;
  page: number;
  onPage: (page: number) => void;
  whose: string;
  tz: string;
}) {
  return (
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions of {whose}</h2>
      {sessions.total === 0 ? (
        <Empty>
          <p>No conversation has usage yet.</p>
        </Empty>
      ) : (
        <>
          <div class="table-wrap">
            <table data-testid="sessions">
              <caption>
                Conversations, most recent activity first ({formatNumber(sessions.offset + 1)}–{formatNumber(sessions.offset + sessions.list.length)} of{' '}
                {formatNumber(sessions.total)}); times in {tz}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Conversation</th>
                  {showUser && <th scope="col">User</th>}
                  <th scope="col" class="num">
                    Messages
                  </th>
                  <th scope="col" class="num">
                    Tokens
                  </th>
                  <th scope="col" class="num">
                    Cost
                  </th>
                  <th scope="col">First activity</th>
                  <th scope="col">Last activity</th>
                </tr>
              </thead>
              <tbody>
                {sessions.list.map((s) => (
                  <tr key={s.conversation_id}>
                    <th scope="row">
                      <code>{s.conversation_id}</code>
                    </th>
                    {showUser && <td>{s.user_id}</td>}
                    <td class="num">{formatNumber(s.messages_counted)}</td>
                    <td class="num">{formatNumber(s.tokens_total)}</td>
                    <td class="num">{formatCost(s.cost_micros, currency)}</td>
                    <td>{formatDateTime(s.first_activity_at, tz)}</td>
                    <td>{formatDateTime(s.last_activity_at, tz)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="pager">
            <button type="button" disabled={page === 0} onClick={() => onPage(page - 1)}>
              Newer
            </button>
            <button type="button" disabled={!sessions.has_more} onClick={() => onPage(page + 1)}>
              Older
            </button>
          </div>
        </>
      )}
    </section>
  );
}
