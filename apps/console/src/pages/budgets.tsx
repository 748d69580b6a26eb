import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { can } from '../auth';
import { describedBy, Empty, ErrorNote, Field, LiveStatus, Loading } from '../components/common';
import { ConfirmDialog } from '../components/dialog';
import { useServices } from '../context';
import { formatCost, formatDateTime, formatNumber, formatRelative, formatTokens } from '../format';
import { usePoll, useStoredState } from '../hooks';
import { browserTimeZone, timeZones } from '../time';
import type { Budget } from '../types';

const ZONES = timeZones();

/** null: the user has no budget (404 BUDGET_NOT_FOUND). */
type Loaded = Budget | null;

interface Draft {
  period: string;
  tz: string;
  limit_tokens: string;
  limit_cost: string;
  mode: string;
  round_reservation_tokens: string;
}

function draftOf(budget: Budget | null): Draft {
  return {
    period: budget?.period ?? 'day',
    tz: budget?.tz ?? browserTimeZone(),
    limit_tokens: budget?.limit_tokens === null || budget?.limit_tokens === undefined ? '' : String(budget.limit_tokens),
    limit_cost: budget?.limit_cost_micros === null || budget?.limit_cost_micros === undefined ? '' : microsToUnits(budget.limit_cost_micros),
    mode: budget?.mode ?? 'hard',
    round_reservation_tokens: String(budget?.round_reservation_tokens ?? 0),
  };
}

function microsToUnits(micros: number): string {
  const units = Math.trunc(micros / 1e6);
  const fraction = String(Math.abs(micros % 1e6))
    .padStart(6, '0')
    .replace(/0+$/, '');
  return fraction ? `${units}.${fraction}` : String(units);
}

/** An integer as typed, or the text itself so the API names what is wrong with it. */
function integerOrText(value: string): number | string | undefined {
  const v = value.trim();
  if (v === '') return undefined;
  return /^-?\d+$/.test(v) ? Number(v) : v;
}

/** Currency units as typed ("12.50") → integer micro-units, exactly; anything else is sent for the API to judge. */
function unitsToMicros(value: string): number | string | undefined {
  const v = value.trim();
  if (v === '') return undefined;
  const m = /^(\d+)(?:\.(\d{1,6}))?$/.exec(v);
  if (m) return Number(m[1]) * 1e6 + Number((m[2] ?? '').padEnd(6, '0'));
  const n = Number(v);
  return Number.isFinite(n) ? n * 1e6 : v;
}

export function BudgetsPage() {
  const { session, gateway } = useServices();
  const chooses = can.readAll(session) || can.budgets(session);
  const [stored, setStored] = useStoredState('budgets', { user: session.userId });
  const user = chooses ? stored.user.trim() || session.userId : session.userId;
  const [userDraft, setUserDraft] = useState(user);

  const polled = usePoll<Loaded>(
    async (signal) => {
      try {
        return await gateway.get<Budget>(`/v1/users/${encodeURIComponent(user)}/budget`, undefined, signal);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404 && error.code === 'BUDGET_NOT_FOUND') return null;
        throw error;
      }
    },
    [user],
  );
  const { data, error, loading } = polled;

  return (
    <>
      <div class="page-head">
        <h1>Budgets</h1>
        <LiveStatus label="the budget" updatedAt={polled.updatedAt} error={error} onRefresh={polled.refresh} />
      </div>
      {chooses && (
        <form
          class="filters"
          aria-label="Whose budget"
          onSubmit={(e) => {
            e.preventDefault();
            setStored({ user: userDraft.trim() });
          }}
        >
          <Field id="budget-user" label="User" problem={error instanceof ApiError ? error.problemOf('user_id') : undefined}>
            <input
              id="budget-user"
              type="search"
              value={userDraft}
              autocomplete="off"
              spellcheck={false}
              onInput={(e) => setUserDraft(e.currentTarget.value)}
            />
          </Field>
          <button type="submit">Show budget</button>
        </form>
      )}
      {error && <ErrorNote error={error} context={data !== undefined ? 'Refresh failed' : 'Budget'} />}
      {loading && data === undefined && <Loading what="the budget" />}
      {data === null && (
        <Empty>
          <p>
            <strong>{user}</strong> has no budget: their rounds are never refused for spending.
          </p>
          {can.budgets(session) ? <p>Set one below.</p> : <p>An operator with the scope budgets:admin can set one.</p>}
        </Empty>
      )}
      {data && <BudgetView budget={data} />}
      {data !== undefined && can.budgets(session) && <BudgetEditor key={user} user={user} budget={data} onSaved={polled.refresh} />}
    </>
  );
}

function Usage({
  label,
  used,
  reserved,
  limit,
  remaining,
  format,
}: {
  label: string;
  used: number;
  reserved: number;
  limit: number | null;
  remaining: number | null;
  format: (n: number) => string;
}) {
  if (limit === null) {
    return (
      <div class="budget-row">
        <h3>{label}</h3>
        <p>
          No {label.toLowerCase()} limit. Used so far this period: {format(used)}.
        </p>
      </div>
    );
  }
  const share = limit > 0 ? Math.min(1, (used + reserved) / limit) : 1;
  return (
    <div class="budget-row" data-testid={`budget-${label.toLowerCase()}`}>
      <h3>{label}</h3>
      <meter
        min={0}
        max={limit || 1}
        low={limit * 0.8}
        high={limit * 0.999}
        optimum={0}
        value={Math.min(used + reserved, limit || 1)}
        aria-label={`${label}: ${Math.round(share * 100)}% of the limit used or reserved`}
      />
      <dl class="budget-figures">
        <div data-figure="limit">
          <dt>Limit</dt>
          <dd>{format(limit)}</dd>
        </div>
        <div data-figure="used">
          <dt>Used</dt>
          <dd>{format(used)}</dd>
        </div>
        <div data-figure="reserved">
          <dt>Reserved</dt>
          <dd>{format(reserved)}</dd>
        </div>
        <div data-figure="remaining">
          <dt>Remaining</dt>
          <dd>{remaining === null ? '—' : format(remaining)}</dd>
        </div>
      </dl>
    </div>
  );
}

function BudgetView({ budget }: { budget: Budget }) {
  return (
    <section class="budget" aria-labelledby="budget-title">
      <h2 id="budget-title">
        {budget.user_id}: {budget.mode} budget per {budget.period} ({budget.tz})
      </h2>
      <p>
        This period: {formatDateTime(budget.period_start, budget.tz)} – {formatDateTime(budget.period_end, budget.tz)}. Resets{' '}
        <strong>
          <time dateTime={budget.resets_at}>{formatRelative(budget.resets_at)}</time>
        </strong>{' '}
        ({formatDateTime(budget.resets_at, budget.tz)}, {budget.tz}).
      </p>
      <Usage
        label="Tokens"
        used={budget.used_tokens}
        reserved={budget.reserved_tokens}
        limit={budget.limit_tokens}
        remaining={budget.remaining_tokens}
        format={formatTokens}
      />
      <Usage
        label="Cost"
        used={budget.used_cost_micros}
        reserved={budget.reserved_cost_micros}
        limit={budget.limit_cost_micros}
        remaining={budget.remaining_cost_micros}
        format={(n) => formatCost(n)}
      />
      <p class="muted">
        {budget.mode === 'hard'
          ? 'A round that would pass a limit is refused (429 BUDGET_EXCEEDED).'
          : 'Soft: rounds are admitted; crossing 80% and 100% is announced.'}{' '}
        A round reserves {formatNumber(budget.round_reservation_tokens)} tokens when its message gives no max_tokens. Changed{' '}
        {formatDateTime(budget.updated_at)}.
      </p>
    </section>
  );
}

/** Operators (budgets:admin) set or remove the budget; the API's problem with a field shows next to that field. */
function BudgetEditor({ user, budget, onSaved }: { user: string; budget: Budget | null; onSaved: () => void }) {
  const { gateway } = useServices();
  const [draft, setDraft] = useState<Draft>(() => draftOf(budget));
  const [failure, setFailure] = useState<ApiError | Error | undefined>(undefined);
  const [saved, setSaved] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  useEffect(() => setSaved(undefined), [draft]);

  const problem = (...fields: string[]) => (failure instanceof ApiError ? failure.problemOf(...fields) : undefined);
  const known = ['period', 'tz', 'limit_tokens', 'limit_cost_micros', 'mode', 'round_reservation_tokens'];
  const other = failure instanceof ApiError ? failure.details.filter((d) => !known.includes(d.field)) : [];
  const set = (field: keyof Draft) => (e: { currentTarget: { value: string } }) => setDraft({ ...draft, [field]: e.currentTarget.value });

  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setFailure(undefined);
    try {
      await gateway.send('PUT', `/v1/admin/users/${encodeURIComponent(user)}/budget`, {
        period: draft.period,
        tz: draft.tz,
        limit_tokens: integerOrText(draft.limit_tokens),
        limit_cost_micros: unitsToMicros(draft.limit_cost),
        mode: draft.mode,
        round_reservation_tokens: integerOrText(draft.round_reservation_tokens),
      });
      setSaved(`Saved ${user}'s budget.`);
      onSaved();
    } catch (error) {
      setFailure(error as Error);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    setFailure(undefined);
    try {
      await gateway.send('DELETE', `/v1/admin/users/${encodeURIComponent(user)}/budget`);
      setConfirmDelete(false);
      onSaved();
    } catch (error) {
      setConfirmDelete(false);
      setFailure(error as Error);
    } finally {
      setBusy(false);
    }
  };

  const fields: Array<{ id: keyof Draft; api: string; label: string; hint?: string; input: 'text' | 'period' | 'tz' | 'mode' }> = [
    { id: 'period', api: 'period', label: 'Period', input: 'period' },
    { id: 'tz', api: 'tz', label: 'Time zone of the period', input: 'tz' },
    { id: 'limit_tokens', api: 'limit_tokens', label: 'Token limit', hint: 'tokens per period; empty: none', input: 'text' },
    { id: 'limit_cost', api: 'limit_cost_micros', label: 'Cost limit', hint: 'in the ledger’s currency per period, e.g. 12.50; empty: none', input: 'text' },
    { id: 'mode', api: 'mode', label: 'Mode', input: 'mode' },
    {
      id: 'round_reservation_tokens',
      api: 'round_reservation_tokens',
      label: 'Reservation per round',
      hint: 'tokens held while a round’s answer is pending',
      input: 'text',
    },
  ];

  return (
    <section aria-labelledby="edit-budget">
      <h2 id="edit-budget">{budget ? `Change ${user}'s budget` : `Set a budget for ${user}`}</h2>
      <form class="form-grid" onSubmit={save} noValidate data-testid="budget-form">
        {fields.map((f) => {
          const id = `budget-${f.id}`;
          const p = problem(f.api);
          const aria = describedBy(id, p, f.hint);
          return (
            <Field key={f.id} id={id} label={f.label} problem={p} hint={f.hint}>
              {f.input === 'period' ? (
                <select id={id} value={draft.period} onChange={set('period')} {...aria}>
                  <option value="day">Day</option>
                  <option value="week">Week (from Monday)</option>
                  <option value="month">Month</option>
                </select>
              ) : f.input === 'tz' ? (
                <select id={id} value={draft.tz} onChange={set('tz')} {...aria}>
                  {ZONES.map((zone) => (
                    <option key={zone} value={zone}>
                      {zone}
                    </option>
                  ))}
                </select>
              ) : f.input === 'mode' ? (
                <select id={id} value={draft.mode} onChange={set('mode')} {...aria}>
                  <option value="hard">Hard: refuse rounds past a limit</option>
                  <option value="soft">Soft: only announce</option>
                </select>
              ) : (
                <input
                  id={id}
                  type="text"
                  inputMode={f.id === 'limit_cost' ? 'decimal' : 'numeric'}
                  value={draft[f.id]}
                  onInput={set(f.id)}
                  autocomplete="off"
                  {...aria}
                />
              )}
            </Field>
          );
        })}
        {other.length > 0 && (
          <div class="note note-error" role="alert">
            {other.map((d) => (
              <p key={d.field}>
                {d.field}: {d.problem}
              </p>
            ))}
          </div>
        )}
        {failure && !(failure instanceof ApiError && failure.details.length > 0 && failure.status === 400) && <ErrorNote error={failure} context="Not saved" />}
        <div class="form-actions">
          <button type="submit" class="button-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save budget'}
          </button>
          {budget && (
            <button type="button" class="button-danger" disabled={busy} onClick={() => setConfirmDelete(true)}>
              Remove budget
            </button>
          )}
          {saved && (
            <span class="saved" role="status">
              {saved}
            </span>
          )}
        </div>
      </form>
      <ConfirmDialog
        open={confirmDelete}
        title={`Remove ${user}'s budget?`}
        confirmLabel="Remove budget"
        danger
        busy={busy}
        onCancel={() => setConfirmDelete(false)}
        onConfirm={() => void remove()}
        testId="confirm-remove-budget"
      >
        <p>{user}’s rounds will no longer be limited or refused for spending. The change is audited in chat.budget_changes.</p>
      </ConfirmDialog>
    </section>
  );
}
