/**
 * The signed-in operator: a bearer token kept in sessionStorage only (this tab, gone when it closes; never a cookie,
 * never localStorage, never a URL the server sees). The token's claims decide what the console shows; the APIs
 * decide what it may do, so a claim is read here but never trusted for anything else.
 */
const STORAGE_KEY = 'chat-ledger.console.token';

export const SCOPES = {
  usageReadAll: 'usage:read_all',
  outboxAdmin: 'outbox:admin',
  budgetsAdmin: 'budgets:admin',
  tasksRead: 'tasks:read',
  tasksAdmin: 'tasks:admin',
} as const;

export interface Session {
  token: string;
  userId: string;
  scopes: ReadonlySet<string>;
  /** Milliseconds since the epoch; null when the token has no exp (the APIs refuse it then). */
  expiresAt: number | null;
}

export class TokenFormatError extends Error {}

function base64UrlDecode(part: string): string {
  const base64 = part
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

/** The claims of a JWT, without verifying it (only the APIs can). */
export function sessionOf(token: string): Session {
  const trimmed = token.trim().replace(/^Bearer\s+/i, '');
  const parts = trimmed.split('.');
  if (parts.length !== 3 || !parts.every((p, i) => (i === 2 ? /^[A-Za-z0-9_-]*$/ : /^[A-Za-z0-9_-]+$/).test(p))) {
    throw new TokenFormatError('This is not a JWT: expected three base64url parts separated by dots.');
  }
  let claims: { sub?: unknown; scope?: unknown; exp?: unknown };
  try {
    claims = JSON.parse(base64UrlDecode(parts[1]!));
  } catch {
    throw new TokenFormatError('The token’s payload is not JSON.');
  }
  if (typeof claims.sub !== 'string' || claims.sub === '') throw new TokenFormatError('The token names no user (claim "sub").');
  const scopes = new Set(typeof claims.scope === 'string' ? claims.scope.split(/\s+/).filter(Boolean) : []);
  const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : null;
  return { token: trimmed, userId: claims.sub, scopes, expiresAt };
}

/**
 * The sign-in link `npm start` prints carries the token in the fragment (`/console/#token=…`), which browsers never
 * send to a server. It is taken out of the address bar at once, so it stays out of the history and of bookmarks.
 */
export function takeTokenFromFragment(): string | null {
  const match = /^#token=([^&]+)/.exec(window.location.hash);
  if (!match) return null;
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}#/usage`);
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return null;
  }
}

export function loadSession(): Session | null {
  const token = window.sessionStorage.getItem(STORAGE_KEY);
  if (!token) return null;
  try {
    return sessionOf(token);
  } catch {
    window.sessionStorage.removeItem(STORAGE_KEY);
    return null;
  }
}

export function saveSession(session: Session): void {
  window.sessionStorage.setItem(STORAGE_KEY, session.token);
}

export function clearSession(): void {
  window.sessionStorage.removeItem(STORAGE_KEY);
}

export const can = {
  readAll: (s: Session) => s.scopes.has(SCOPES.usageReadAll),
  outbox: (s: Session) => s.scopes.has(SCOPES.outboxAdmin),
  budgets: (s: Session) => s.scopes.has(SCOPES.budgetsAdmin),
  tasks: (s: Session) => s.scopes.has(SCOPES.tasksRead) || s.scopes.has(SCOPES.tasksAdmin),
  tasksAdmin: (s: Session) => s.scopes.has(SCOPES.tasksAdmin),
};
