import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, apiClient, ConsoleSettings, loadSettings } from './api';
import { can, clearSession, loadSession, saveSession, SCOPES, Session, sessionOf, takeTokenFromFragment, TokenFormatError } from './auth';
import { ServicesContext } from './context';
import { formatClock, formatDateTime, formatRelative } from './format';
import { BudgetsPage } from './pages/budgets';
import { LedgerPage } from './pages/ledger';
import { OutboxPage } from './pages/outbox';
import { SignIn } from './pages/sign-in';
import { TasksPage } from './pages/tasks';
import { UsagePage } from './pages/usage';

type PageId = 'usage' | 'budgets' | 'outbox' | 'tasks' | 'ledger';

interface PageDef {
  id: PageId;
  title: string;
  /** Who sees it in the navigation; the APIs check again. */
  visible: (s: Session) => boolean;
  needs?: string;
}

const PAGES: PageDef[] = [
  { id: 'usage', title: 'Usage', visible: () => true },
  { id: 'budgets', title: 'Budgets', visible: () => true },
  { id: 'outbox', title: 'Outbox', visible: can.outbox, needs: SCOPES.outboxAdmin },
  { id: 'tasks', title: 'Tasks', visible: can.tasks, needs: `${SCOPES.tasksRead} (or ${SCOPES.tasksAdmin})` },
  { id: 'ledger', title: 'Ledger', visible: can.readAll, needs: SCOPES.usageReadAll },
];

function currentPage(): PageId {
  const match = /^#\/([a-z]+)/.exec(window.location.hash);
  return (PAGES.find((p) => p.id === match?.[1])?.id ?? 'usage') as PageId;
}

function useHashPage(): PageId {
  const [page, setPage] = useState<PageId>(currentPage);
  useEffect(() => {
    const onHash = () => setPage(currentPage());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return page;
}

/** The session from the sign-in link's fragment (kept, and removed from the address bar) or from this tab's storage. */
function initialSession(): { session: Session | null; message?: string } {
  const fromLink = takeTokenFromFragment();
  if (fromLink) {
    try {
      const session = sessionOf(fromLink);
      if (session.expiresAt !== null && session.expiresAt <= Date.now()) {
        return {
          session: null,
          message: `The sign-in link’s token expired ${formatRelative(new Date(session.expiresAt).toISOString())}. Run npm start again for a new link, or paste a token.`,
        };
      }
      saveSession(session);
      return { session };
    } catch (error) {
      return {
        session: null,
        message: error instanceof TokenFormatError ? `The sign-in link holds no usable token: ${error.message}` : 'The sign-in link holds no usable token.',
      };
    }
  }
  return { session: loadSession() };
}

/** The skip link moves focus without touching the fragment, which holds the page's route. */
function skipToContent(event: Event): void {
  event.preventDefault();
  document.getElementById('main')?.focus();
}

export function App() {
  const [settings, setSettings] = useState<ConsoleSettings | Error | undefined>(undefined);
  const [{ session, message }, setAuth] = useState(initialSession);
  const page = useHashPage();

  useEffect(() => {
    loadSettings().then(setSettings, (error: Error) => setSettings(error));
  }, []);

  const signOut = (why?: string) => {
    clearSession();
    setAuth({ session: null, message: why });
  };

  // A token ends when it expires: sign out then, rather than at the next failing request.
  useEffect(() => {
    if (!session?.expiresAt) return;
    const left = session.expiresAt - Date.now();
    if (left > 2 ** 31 - 1) return;
    const timer = window.setTimeout(() => signOut('Your token expired. Sign in again.'), Math.max(0, left));
    return () => window.clearTimeout(timer);
  }, [session]);

  const services = useMemo(() => {
    if (!session || !settings || settings instanceof Error) return null;
    const onUnauthenticated = (error: ApiError) =>
      signOut(`Signed out: the ${error.service === 'ledger' ? 'ledger-consumer' : 'gateway'} refused the token (${error.message}).`);
    return {
      session,
      settings,
      gateway: apiClient('gateway', '', session.token, onUnauthenticated),
      ledger: apiClient('ledger', settings.ledger_url, session.token, onUnauthenticated),
    };
  }, [session, settings]);

  useEffect(() => {
    const title = PAGES.find((p) => p.id === page)?.title ?? 'Usage';
    document.title = session ? `${title} · chat-ledger console` : 'Sign in · chat-ledger console';
  }, [page, session]);

  if (settings instanceof Error) {
    return (
      <main class="page narrow" id="main">
        <h1>chat-ledger console</h1>
        <div class="note note-error" role="alert">
          <p>The console could not load its settings (/console/config.json): {settings.message}.</p>
          <p>Reload the page; if it persists, check that the chat-gateway is running.</p>
        </div>
      </main>
    );
  }
  if (!session) {
    return (
      <SignIn
        message={message}
        onSignedIn={(s) => {
          saveSession(s);
          setAuth({ session: s });
        }}
      />
    );
  }
  if (!services) {
    return (
      <main class="page narrow" id="main">
        <p role="status">Loading the console…</p>
      </main>
    );
  }

  const def = PAGES.find((p) => p.id === page)!;
  return (
    <ServicesContext.Provider value={services}>
      <a class="skip" href="#main" onClick={skipToContent}>
        Skip to content
      </a>
      <header class="top">
        <div class="brand">chat-ledger console</div>
        <nav aria-label="Pages">
          <ul>
            {PAGES.filter((p) => p.visible(session)).map((p) => (
              <li key={p.id}>
                <a href={`#/${p.id}`} aria-current={p.id === page ? 'page' : undefined}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>
            Signed in as <strong data-testid="signed-in-user">{session.userId}</strong>
            <span class="scopes">{session.scopes.size ? ` (${[...session.scopes].join(', ')})` : ' (no scopes: your own usage)'}</span>
            {session.expiresAt && (
              <span class="expires">
                {' '}
                · token valid until{' '}
                <time dateTime={new Date(session.expiresAt).toISOString()}>
                  {session.expiresAt - Date.now() < 20 * 3_600_000
                    ? formatClock(new Date(session.expiresAt))
                    : formatDateTime(new Date(session.expiresAt).toISOString())}
                </time>
              </span>
            )}
          </span>
          <button type="button" class="button-quiet" onClick={() => signOut('Signed out.')}>
            Sign out
          </button>
        </div>
      </header>
      <main class="page" id="main" tabIndex={-1}>
        {!def.visible(session) ? (
          <div class="note note-error" role="alert">
            <h1>{def.title}</h1>
            <p>
              This page needs a token with the scope {def.needs}; yours has {session.scopes.size ? [...session.scopes].join(', ') : 'none'}.
            </p>
          </div>
        ) : page === 'usage' ? (
          <UsagePage />
        ) : page === 'budgets' ? (
          <BudgetsPage />
        ) : page === 'outbox' ? (
          <OutboxPage />
        ) : page === 'tasks' ? (
          <TasksPage />
        ) : (
          <LedgerPage />
        )}
      </main>
    </ServicesContext.Provider>
  );
}
