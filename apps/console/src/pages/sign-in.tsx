import { useState } from 'preact/hooks';
import { ApiError, apiClient } from '../api';
import { Session, sessionOf, TokenFormatError } from '../auth';
import { describedBy, ErrorNote, Field } from '../components/common';
import { formatDateTime } from '../format';

/**
 * Sign in by pasting a bearer token. The token is checked by the gateway before it is kept (in this tab's
 * sessionStorage only), so a wrong one is refused here with the API's own words.
 */
export function SignIn({ message, onSignedIn }: { message?: string; onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [failure, setFailure] = useState<Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setProblem(undefined);
    setFailure(undefined);
    let session: Session;
    try {
      session = sessionOf(token);
    } catch (error) {
      setProblem(error instanceof TokenFormatError ? error.message : 'This is not a token.');
      return;
    }
    if (session.expiresAt !== null && session.expiresAt <= Date.now()) {
      setProblem(`This token expired at ${formatDateTime(new Date(session.expiresAt).toISOString())}.`);
      return;
    }
    setBusy(true);
    try {
      // Any signed-in user may list their conversations: the cheapest question that proves the gateway takes the token.
      await apiClient('gateway', '', session.token, () => undefined).get('/v1/conversations', { page_size: 1 });
      onSignedIn(session);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401)
        setProblem(`The gateway refused this token: ${error.problemOf('authorization') ?? error.message}.`);
      else setFailure(error as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="page narrow" id="main">
      <h1>Sign in to the chat-ledger console</h1>
      {message && (
        <p class="note note-info" role="status">
          {message}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <Field id="token" label="Bearer token" problem={problem} hint="A JWT signed with the apps' JWT_SECRET. It stays in this browser tab only.">
          <textarea
            id="token"
            name="token"
            rows={5}
            required
            spellcheck={false}
            autocomplete="off"
            autocapitalize="off"
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
            {...describedBy('token', problem, 'hint')}
          />
        </Field>
        {failure && <ErrorNote error={failure} context="Could not check the token" />}
        <button type="submit" class="button-primary" disabled={busy || token.trim() === ''} aria-busy={busy ? 'true' : undefined}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
      <section class="help" aria-labelledby="how">
        <h2 id="how">Where to get a token</h2>
        <ul>
          <li>
            <code>npm start</code> prints a link that signs the demo operator in.
          </li>
          <li>
            <code>npm run token -- --user alice</code> signs one for a user (their own usage); <code>--scope "usage:read_all outbox:admin budgets:admin"</code>{' '}
            makes an operator.
          </li>
        </ul>
        <p>
          What you see follows the token’s scopes: a user sees their own usage and budget; usage:read_all shows everyone’s; outbox:admin shows the pipeline and
          may act on it; budgets:admin may change budgets.
        </p>
      </section>
    </main>
  );
}
