import type { ComponentChildren } from 'preact';
import { ApiError, SERVICE_NAMES } from '../api';
import { formatClock } from '../format';
import { POLL_INTERVAL_MS } from '../hooks';

/** What to do about an error, in words: who did not answer, what they said, and the next step. */
export function adviceFor(error: Error): { title: string; advice: string } {
  if (!(error instanceof ApiError)) return { title: error.message, advice: 'Reload the page; if it persists, check the gateway’s logs.' };
  const service = SERVICE_NAMES[error.service];
  if (error.status === 0) {
    return {
      title: error.message,
      advice:
        error.service === 'ledger'
          ? 'Is the ledger-consumer running, and does its CONSOLE_ORIGIN allow this page’s origin? The gateway’s LEDGER_PUBLIC_URL says where the console looks for it.'
          : 'Is the chat-gateway running? `npm start` starts both apps.',
    };
  }
  if (error.status === 401) return { title: `${service}: ${error.message}`, advice: 'Sign in again with a valid token.' };
  if (error.status === 403)
    return { title: `${service}: ${error.message}`, advice: 'Ask for a token with that scope (npm run token -- --user you --scope "…").' };
  if (error.status === 429) return { title: `${service}: ${error.message}`, advice: 'Wait a moment and try again.' };
  if (error.status >= 500) {
    return {
      title: `${service} failed: ${error.message}`,
      advice: `Try again in a moment; the ${service}’s logs have the details${error.requestId ? ` (request id ${error.requestId})` : ''}.`,
    };
  }
  const fields = error.details.map((d) => `${d.field}: ${d.problem}`).join('; ');
  return { title: `${service}: ${error.message}`, advice: fields && fields !== error.message ? fields : 'Check the values and try again.' };
}

export function ErrorNote({ error, context }: { error: Error; context?: string }) {
  const { title, advice } = adviceFor(error);
  return (
    <div class="note note-error" role="alert">
      <p>
        <strong>{context ? `${context}: ` : ''}</strong>
        {title}
      </p>
      <p>{advice}</p>
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="note note-loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="note note-empty">{children}</div>;
}

/** "Updated 12:00:05 · refreshes every 5 s", a refresh button, and a warning when the last refresh failed. */
export function LiveStatus({ updatedAt, error, onRefresh, label }: { updatedAt?: Date; error?: Error; onRefresh: () => void; label: string }) {
  return (
    <div class="live">
      <span class="live-dot" aria-hidden="true" data-state={error ? 'stale' : updatedAt ? 'live' : 'waiting'} />
      <span data-testid="last-updated">
        {updatedAt ? (
          <>
            Last updated <time dateTime={updatedAt.toISOString()}>{formatClock(updatedAt)}</time>
          </>
        ) : (
          'Not loaded yet'
        )}
        {` · refreshes every ${POLL_INTERVAL_MS / 1000} s`}
      </span>
      <button type="button" class="button-quiet" onClick={onRefresh} aria-label={`Refresh ${label} now`}>
        Refresh
      </button>
      {error && updatedAt && <span class="live-stale">Refresh failed; showing figures from {formatClock(updatedAt)}.</span>}
    </div>
  );
}

export function Card({ label, value, hint, testId }: { label: string; value: string; hint?: string; testId?: string }) {
  return (
    <div class="card" data-testid={testId}>
      <dt>{label}</dt>
      <dd>
        <span class="card-value">{value}</span>
        {hint && <span class="card-hint">{hint}</span>}
      </dd>
    </div>
  );
}

/** A label above its control, the API's problem for that field below it (tied by aria-describedby). */
export function Field({ id, label, problem, hint, children }: { id: string; label: string; problem?: string; hint?: string; children: ComponentChildren }) {
  return (
    <div class={`field${problem ? ' field-invalid' : ''}`}>
      <label for={id}>{label}</label>
      {children}
      {hint && !problem && (
        <span class="field-hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {problem && (
        <span class="field-problem" id={`${id}-problem`} role="alert">
          {problem}
        </span>
      )}
    </div>
  );
}

/** aria attributes of a control whose Field shows a hint or a problem. */
export function describedBy(id: string, problem?: string, hint?: string): { 'aria-describedby'?: string; 'aria-invalid'?: 'true' } {
  if (problem) return { 'aria-describedby': `${id}-problem`, 'aria-invalid': 'true' };
  return hint ? { 'aria-describedby': `${id}-hint` } : {};
}
