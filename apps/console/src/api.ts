/**
 * The two APIs the console calls: the gateway on this origin, the ledger-consumer at the URL /console/config.json
 * names (the gateway's LEDGER_PUBLIC_URL). Every error arrives as the APIs' `{"error": {code, message, details}}`;
 * a network failure or a body of another shape becomes an ApiError too, so pages have one thing to show.
 */
export interface ErrorDetail {
  field: string;
  problem: string;
}

export type Service = 'gateway' | 'ledger';

export const SERVICE_NAMES: Record<Service, string> = { gateway: 'chat-gateway', ledger: 'ledger-consumer' };

export class ApiError extends Error {
  constructor(
    readonly service: Service,
    /** 0: no answer at all (network, CORS, server down). */
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly requestId: string | null = null,
  ) {
    super(message);
  }

  /** What the API said about one field (the first problem), for the message next to that field. */
  problemOf(...fields: string[]): string | undefined {
    return this.details.find((d) => fields.includes(d.field))?.problem;
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

export interface ApiClient {
  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T>;
  send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** The same query answered as CSV (`Accept: text/csv`), with the file name the API suggests. */
  csv(path: string, query?: Query): Promise<{ blob: Blob; filename: string }>;
}

export function apiClient(service: Service, baseUrl: string, token: string, onUnauthenticated: (error: ApiError) => void): ApiClient {
  async function call(method: string, path: string, init: { query?: Query; body?: unknown; accept?: string; signal?: AbortSignal }): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: init.accept ?? 'application/json' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}${queryString(init.query)}`, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: init.signal,
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new ApiError(service, 0, 'NETWORK', `Cannot reach the ${SERVICE_NAMES[service]} at ${baseUrl || window.location.origin}.`);
    }
    if (response.ok) return response;
    const requestId = response.headers.get('x-request-id');
    let body: { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    const e = body?.error;
    const error =
      e && typeof e.code === 'string' && typeof e.message === 'string'
        ? new ApiError(service, response.status, e.code, e.message, Array.isArray(e.details) ? (e.details as ErrorDetail[]) : [], requestId)
        : new ApiError(
            service,
            response.status,
            'HTTP_' + response.status,
            `The ${SERVICE_NAMES[service]} answered ${response.status} ${response.statusText}.`,
            [],
            requestId,
          );
    if (response.status === 401) onUnauthenticated(error);
    throw error;
  }

  return {
    async get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
      return (await call('GET', path, { query, signal })).json() as Promise<T>;
    },
    async send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
      const response = await call(method, path, { body });
      return (response.status === 204 ? undefined : await response.json()) as T;
    },
    async csv(path: string, query?: Query) {
      const response = await call('GET', path, { query, accept: 'text/csv' });
      const disposition = response.headers.get('content-disposition') ?? '';
      const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `${path.split('/').pop() || 'export'}.csv`;
      return { blob: await response.blob(), filename };
    },
  };
}

export interface ConsoleSettings {
  ledger_url: string;
}

export async function loadSettings(): Promise<ConsoleSettings> {
  const response = await fetch('./config.json', { cache: 'no-store', credentials: 'omit' });
  if (!response.ok) throw new Error(`config.json answered ${response.status}`);
  const settings = (await response.json()) as ConsoleSettings;
  if (typeof settings.ledger_url !== 'string') throw new Error('config.json names no ledger_url');
  return settings;
}

/** Hands a downloaded file to the browser (an object URL, released right after). */
export function saveFile(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
