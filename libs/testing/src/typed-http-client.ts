import { type ErrorBody, OPENAPI_JSON_PATH } from '@chat-ledger/platform';
import type { HttpClient, HttpResult } from './http-client';
import { OpenApiResponseValidator } from './openapi-response-validator';

/**
 * A typed view of HttpClient over the `paths` that openapi-typescript generates from an app's OpenAPI document
 * (apps/<app>/test/openapi.d.ts). Paths are the document's templates (`/v1/conversations/{id}`), path parameters,
 * query and body are checked against the operation, and the result's body has the type of the operation's
 * documented 2xx JSON response: a test that reads a field the document does not have does not compile.
 *
 * The body is typed for success; on an error status it is the error body (`ErrorBody` in the document), so
 * assert the status first (or use the untyped HttpClient to test errors).
 *
 * Every response is also checked at run time against the document the app serves (/docs-json, fetched once per
 * app): a status the operation does not document, or a body that does not match its schema (a missing, mistyped,
 * wrongly null or undocumented field), fails the request. Compile time catches a test reading a field the
 * document lacks; run time catches the API returning something the document does not say.
 */
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The paths of `P` that have an operation for `M` (openapi-typescript marks the others `?: never`). */
export type PathsWith<P, M extends Method> = { [K in keyof P]: P[K] extends { [X in M]: object } ? K : never }[keyof P] & string;

type Operation<P, K extends keyof P, M extends Method> = P[K] extends { [X in M]: infer O } ? O : never;

type Success = 200 | 201 | 202 | 203 | 204 | 206;
type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : R extends { content?: never } ? undefined : never;

/** The union of the operation's documented success bodies (application/json; undefined for 204). */
export type SuccessBody<O> = O extends { responses: infer R } ? { [S in keyof R & Success]: JsonOf<R[S]> }[keyof R & Success] : never;

type PathParams<O> = O extends { parameters: { path: infer X } } ? X : never;
type QueryParams<O> = O extends { parameters: { query?: infer X } } ? X : never;
export type RequestBody<O> = O extends { requestBody: { content: { 'application/json': infer B } } }
  ? B
  : O extends { requestBody?: { content: { 'application/json': infer B } } }
    ? B | undefined
    : never;

export type RequestOptions<O> = ([PathParams<O>] extends [never] ? { path?: undefined } : { path: PathParams<O> }) & {
  query?: QueryParams<O>;
  headers?: Record<string, string>;
};

type OptionsArg<O> = [PathParams<O>] extends [never] ? [options?: RequestOptions<O>] : [options: RequestOptions<O>];

/** A concrete URL from a path template, its path parameters and a query. */
export function buildUrl(template: string, path?: Record<string, unknown>, query?: Record<string, unknown>): string {
  const url = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = path?.[name];
    if (value === undefined) throw new Error(`${template}: path parameter ${name} is missing`);
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) search.append(key, String(value));
  const text = search.toString();
  return text ? `${url}?${text}` : url;
}

/** Per app instance (its root client, not its URL: a later app may get the same port): the document it serves. */
const VALIDATORS = new WeakMap<HttpClient, Promise<OpenApiResponseValidator>>();

export class TypedHttpClient<P> {
  constructor(readonly http: HttpClient) {}

  /** The same client with another bearer token (see HttpClient.as). */
  as(token: string | Promise<string> | undefined): TypedHttpClient<P> {
    return new TypedHttpClient<P>(this.http.as(token));
  }

  get<K extends PathsWith<P, 'get'>>(path: K, ...[options]: OptionsArg<Operation<P, K, 'get'>>): Promise<HttpResult<SuccessBody<Operation<P, K, 'get'>>>> {
    return this.send('GET', path, undefined, options);
  }

  delete<K extends PathsWith<P, 'delete'>>(
    path: K,
    ...[options]: OptionsArg<Operation<P, K, 'delete'>>
  ): Promise<HttpResult<SuccessBody<Operation<P, K, 'delete'>>>> {
    return this.send('DELETE', path, undefined, options);
  }

  post<K extends PathsWith<P, 'post'>>(
    path: K,
    body: RequestBody<Operation<P, K, 'post'>>,
    ...[options]: OptionsArg<Operation<P, K, 'post'>>
  ): Promise<HttpResult<SuccessBody<Operation<P, K, 'post'>>>> {
    return this.send('POST', path, body, options);
  }

  put<K extends PathsWith<P, 'put'>>(
    path: K,
    body: RequestBody<Operation<P, K, 'put'>>,
    ...[options]: OptionsArg<Operation<P, K, 'put'>>
  ): Promise<HttpResult<SuccessBody<Operation<P, K, 'put'>>>> {
    return this.send('PUT', path, body, options);
  }

  patch<K extends PathsWith<P, 'patch'>>(
    path: K,
    body: RequestBody<Operation<P, K, 'patch'>>,
    ...[options]: OptionsArg<Operation<P, K, 'patch'>>
  ): Promise<HttpResult<SuccessBody<Operation<P, K, 'patch'>>>> {
    return this.send('PATCH', path, body, options);
  }

  private validator(): Promise<OpenApiResponseValidator> {
    const root = this.http.root;
    let validator = VALIDATORS.get(root);
    if (!validator) {
      validator = root
        .as(undefined)
        .get(`/${OPENAPI_JSON_PATH}`)
        .then((res) => {
          if (res.status !== 200) throw new Error(`GET ${root.baseUrl}/${OPENAPI_JSON_PATH}: ${res.status}`);
          return new OpenApiResponseValidator(res.body);
        });
      VALIDATORS.set(root, validator);
    }
    return validator;
  }

  private async send<T>(method: string, template: string, body: unknown, options?: { path?: unknown; query?: unknown; headers?: Record<string, string> }) {
    const url = buildUrl(template, options?.path as Record<string, unknown> | undefined, options?.query as Record<string, unknown> | undefined);
    const [validator, res] = await Promise.all([this.validator(), this.http.request<T>(method, url, body, options?.headers)]);
    const problems = validator.check(method, template, res.status, res.headers.get('content-type'), res.body);
    if (problems.length > 0) {
      throw new Error(`response not as documented:\n  ${problems.join('\n  ')}\nbody: ${JSON.stringify(res.body)?.slice(0, 2000)}`);
    }
    return res;
  }
}

/** The error of an error response (any status ≥ 400), typed: `expect(errorOf(res).code).toBe('NOT_FOUND')`. */
export function errorOf(res: HttpResult<unknown>): ErrorBody['error'] {
  if (res.status < 400) throw new Error(`expected an error status, got ${res.status}: ${JSON.stringify(res.body)}`);
  return (res.body as ErrorBody).error;
}
