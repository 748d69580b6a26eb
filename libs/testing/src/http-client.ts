import { TypedHttpClient } from './typed-http-client';

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small fetch wrapper for API tests: JSON in, parsed JSON (or text) out, never throws on 4xx/5xx. */
export class HttpClient {
  /** The client an app's test kit made (`as` derives the others from it): it stands for that app instance. */
  readonly root: HttpClient;

  constructor(
    readonly baseUrl: string,
    private readonly token?: string | Promise<string>,
    root?: HttpClient,
  ) {
    this.root = root ?? this;
  }

  /** Signing is async (jose), so a token may be passed while it is still being signed: `http.as(app.token(user))`. */
  as(token: string | Promise<string> | undefined): HttpClient {
    return new HttpClient(this.baseUrl, token, this.root);
  }

  /** This client typed by an app's generated OpenAPI `paths` (apps/<app>/test/openapi.d.ts): `http.typed<paths>()`. */
  typed<P>(): TypedHttpClient<P> {
    return new TypedHttpClient<P>(this);
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult<T>> {
    const token = await this.token;
    const init: RequestInit = {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    };
    const res = await fetch(`${this.baseUrl}${path}`, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text so the assertion shows it
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
  put<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('PUT', path, body, headers);
  }
  patch<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('PATCH', path, body, headers);
  }
  delete<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('DELETE', path, undefined, headers);
  }
}
