import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { INestApplication, RequestMethod, Type } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import type { OpenAPIObject, ResponseObject } from '@nestjs/swagger';
import { validate } from '@readme/openapi-parser';
import {
  CSV_EXPORT,
  ERROR_CODES_EXTENSION,
  IS_PUBLIC,
  OPENAPI_JSON_PATH,
  OPENAPI_UI_PATH,
  operationsOf,
  RATE_LIMITED,
  REQUIRED_SCOPES,
} from '@chat-ledger/platform';

/** A route as Nest registered it: method, OpenAPI-style path, and the handler with its controller. */
export interface NestRoute {
  method: string;
  path: string;
  controller: Type;
  handler: (...args: unknown[]) => unknown;
}

const ERROR_BODY_REF = '#/components/schemas/ErrorBodyDto';

function joinPath(...parts: string[]): string {
  const path = `/${parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/')}`;
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Every route of every controller in the app's module graph, from the metadata Nest routes by. */
export function nestRoutes(app: INestApplication): NestRoute[] {
  const scanner = new MetadataScanner();
  const routes: NestRoute[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type;
      const bases: string[] = [Reflect.getMetadata(PATH_METADATA, controller) ?? '/'].flat();
      for (const name of scanner.getAllMethodNames(controller.prototype)) {
        const handler = controller.prototype[name];
        const method: RequestMethod | undefined = Reflect.getMetadata(METHOD_METADATA, handler);
        if (method === undefined) continue;
        const paths: string[] = [Reflect.getMetadata(PATH_METADATA, handler) ?? '/'].flat();
        for (const base of bases)
          for (const path of paths) routes.push({ method: RequestMethod[method].toLowerCase(), path: joinPath(base, path), controller, handler });
      }
    }
  }
  return routes;
}

/**
 * The routes the HTTP server answers (express' router), without the document's own (/docs, /docs-json, …) and
 * without `/{*splat}`: that is how Nest mounts middleware bound to every route (forRoutes('*'), the HTTP
 * metrics), once per method, not a route of its own.
 */
export function servedRoutes(app: INestApplication): string[] {
  const server = app.getHttpAdapter().getInstance() as { router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } };
  const own = new RegExp(`^/(${OPENAPI_UI_PATH}|${OPENAPI_JSON_PATH}|${OPENAPI_UI_PATH}-yaml)(/|$)`);
  return server.router.stack
    .flatMap((layer) => (layer.route ? Object.keys(layer.route.methods).map((m) => `${m} ${joinPath(layer.route!.path)}`) : []))
    .filter((route) => !own.test(route.split(' ')[1]!) && route.split(' ')[1] !== '/{*splat}')
    .sort();
}

/** Problems an OpenAPI validator (@readme/openapi-parser) finds; [] when the document is valid OpenAPI 3. */
export async function openApiValidationProblems(document: OpenAPIObject): Promise<string[]> {
  // The parser dereferences in place: it gets a copy.
  const result = await validate(structuredClone(document) as never, { validate: { errors: { colorize: false } } });
  if (result.specification !== 'OpenAPI') return [`not an OpenAPI document (${result.specification})`];
  return [...(result.valid ? [] : result.errors.map((e) => e.message)), ...result.warnings.map((w) => `warning: ${w.message}`)];
}

function metadata<T>(key: string, route: NestRoute): T | undefined {
  return Reflect.getMetadata(key, route.handler) ?? Reflect.getMetadata(key, route.controller);
}

function usesResponseObject(route: NestRoute): boolean {
  const args: Record<string, unknown> = Reflect.getMetadata(ROUTE_ARGS_METADATA, route.controller, route.handler.name) ?? {};
  return Object.keys(args).some((key) => key.split(':')[0] === String(RouteParamtypes.RESPONSE));
}

function jsonSchemaRef(response: ResponseObject | undefined): string | undefined {
  return (response?.content?.['application/json']?.schema as { $ref?: string } | undefined)?.$ref;
}

/**
 * What a complete document has, operation by operation, checked against what Nest does with the route:
 *  - a documented success: a 2xx with a schema, or a 204 without content; the status the route answers
 *    (its @HttpCode, or Nest's default) among them, unless the handler sets the status itself (@Res);
 *  - every error status in the shared error body (or in the route's own success body, as readiness' 503),
 *    with the codes it stands for; 500 everywhere;
 *  - 400 where the route takes a query or a body, and 413 and 415 for a body;
 *  - bearer security and 401 exactly where the route is not @Public; 403 where it requires scopes;
 *  - 429 with Retry-After on @RateLimitedWrite routes; text/csv beside JSON on @CsvExport routes;
 *  - the path parameters of the route, each required.
 */
export function openApiCompletenessProblems(app: INestApplication, document: OpenAPIObject): string[] {
  const problems: string[] = [];
  const routes = new Map(nestRoutes(app).map((r) => [`${r.method} ${r.path}`, r]));
  for (const { path, method, operation } of operationsOf(document)) {
    const id = `${method.toUpperCase()} ${path}`;
    const problem = (text: string) => problems.push(`${id}: ${text}`);
    const route = routes.get(`${method} ${path}`);
    if (!route) {
      problem('documented, but Nest has no such route');
      continue;
    }
    const responses = operation.responses as Record<string, ResponseObject>;
    const statuses = Object.keys(responses);
    const successes = statuses.filter((s) => /^2\d\d$/.test(s));
    if (successes.length === 0) problem('no 2xx response');
    for (const status of successes) {
      const content = responses[status]!.content;
      if (status === '204') {
        if (content) problem('204 with content');
      } else if (!content || Object.values(content).some((media) => !media.schema)) problem(`${status} without a schema`);
    }
    if (!usesResponseObject(route)) {
      const status = String(Reflect.getMetadata(HTTP_CODE_METADATA, route.handler) ?? (method === 'post' ? 201 : 200));
      if (!successes.includes(status)) problem(`answers ${status}, which is not documented (documented: ${successes.join(', ')})`);
    }
    const successRefs = new Set(successes.map((s) => jsonSchemaRef(responses[s])).filter(Boolean));
    for (const status of statuses.filter((s) => /^[45]\d\d$/.test(s))) {
      const ref = jsonSchemaRef(responses[status]);
      if (ref !== ERROR_BODY_REF && !(ref && successRefs.has(ref))) problem(`${status} does not answer the error body (${ref ?? 'no JSON schema'})`);
      if (ref === ERROR_BODY_REF && !((responses[status] as unknown as Record<string, unknown>)[ERROR_CODES_EXTENSION] as unknown[] | undefined)?.length) {
        problem(`${status} names no error code`);
      }
    }
    const need = (status: string, why: string) => statuses.includes(status) || problem(`${status} missing (${why})`);
    need('500', 'every route');
    const parameters = (operation.parameters ?? []) as Array<{ in: string; name: string; required?: boolean }>;
    if (parameters.some((p) => p.in === 'query')) need('400', 'it takes a query');
    if (operation.requestBody) {
      need('400', 'it takes a body');
      need('413', 'it takes a body');
      need('415', 'it takes a body');
    }
    const secured = (operation.security ?? []).some((s: Record<string, unknown>) => 'bearer' in s);
    const isPublic = metadata<boolean>(IS_PUBLIC, route) === true;
    if (isPublic && secured) problem('@Public but documented with bearer security');
    if (!isPublic && !secured) problem('needs a token (not @Public) but has no bearer security');
    if (!isPublic) need('401', 'it needs a token');
    if ((metadata<string[]>(REQUIRED_SCOPES, route) ?? []).length > 0) need('403', 'it requires scopes');
    if (metadata<boolean>(RATE_LIMITED, route)) {
      need('429', '@RateLimitedWrite');
      if (!responses['429']?.headers?.['Retry-After']) problem('429 without Retry-After');
    }
    if (metadata(CSV_EXPORT, route) && !successes.some((s) => responses[s]!.content?.['text/csv'])) problem('@CsvExport without a text/csv response');
    const documented = parameters.filter((p) => p.in === 'path');
    const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    if (
      documented
        .map((p) => p.name)
        .sort()
        .join() !== [...inPath].sort().join()
    )
      problem(`path parameters ${documented.map((p) => p.name)} ≠ ${inPath}`);
    if (documented.some((p) => !p.required)) problem('an optional path parameter');
    routes.delete(`${method} ${path}`);
  }
  for (const id of routes.keys()) problems.push(`${id.split(' ')[0]!.toUpperCase()} ${id.split(' ')[1]}: Nest route missing from the document`);
  return problems;
}

export interface OpenApiSuiteOptions {
  /** The app, started the way its tests start it (a real database; no Kafka needed). */
  start(): Promise<{ app: INestApplication; http: { get(path: string): Promise<{ status: number; body: any }> }; close(): Promise<void> }>;
  /** The document as `npm run openapi:types` builds it, without a database. */
  build(): Promise<OpenAPIObject>;
  /** The TypeScript types of a document, as `npm run openapi:types` writes them. */
  types(document: OpenAPIObject): Promise<string>;
  /** The checked-in types file, absolute. */
  typesFile: string;
}

function noProblems(what: string, problems: string[]): void {
  if (problems.length > 0) throw new Error(`${what}:\n  ${problems.join('\n  ')}`);
}

/**
 * What every app with an OpenAPI document checks (apps/<app>/test/openapi.int-spec.ts runs each as a test between
 * setup and teardown): the served document is the one the generated types come from, valid, complete against
 * Nest's routes, and the checked-in types are current. Plain functions that throw (no test-runner globals here:
 * libs/testing is also compiled by the build).
 */
export function openApiSuite(options: OpenApiSuiteOptions) {
  let started: Awaited<ReturnType<OpenApiSuiteOptions['start']>> | undefined;
  let served: OpenAPIObject;
  let built: OpenAPIObject;
  const app = () => started!.app;
  return {
    async setup(): Promise<void> {
      started = await options.start();
      const res = await started.http.get(`/${OPENAPI_JSON_PATH}`);
      assert.equal(res.status, 200, `GET /${OPENAPI_JSON_PATH}`);
      served = res.body;
      // As it travels: JSON (the built one has keys whose value is undefined).
      built = JSON.parse(JSON.stringify(await options.build()));
    },
    async teardown(): Promise<void> {
      await started?.close();
    },
    checks: [
      [
        `is served at /${OPENAPI_JSON_PATH} (UI at /${OPENAPI_UI_PATH}), the same document npm run openapi:types builds without a database`,
        async () => {
          assert.match(served.openapi, /^3\./);
          assert.deepStrictEqual(served, built);
          assert.equal((await started!.http.get(`/${OPENAPI_UI_PATH}`)).status, 200, `GET /${OPENAPI_UI_PATH}`);
        },
      ],
      ['is valid OpenAPI 3 (@readme/openapi-parser)', async () => noProblems('invalid document', await openApiValidationProblems(served))],
      [
        'documents exactly the routes the server answers',
        async () => {
          const documented = [...operationsOf(served)].map(({ method, path }) => `${method} ${path}`).sort();
          assert.deepStrictEqual(servedRoutes(app()), documented, 'express router vs document');
          assert.deepStrictEqual([...new Set(nestRoutes(app()).map((r) => `${r.method} ${r.path}`))].sort(), documented, 'Nest routes vs document');
        },
      ],
      [
        'is complete: success schemas, errors in the one error body, security, scopes, rate limit, CSV',
        async () => noProblems('incomplete document', openApiCompletenessProblems(app(), served)),
      ],
      [
        'matches the checked-in generated types (`npm run openapi:types` rewrites them)',
        async () => {
          const expected = await options.types(built);
          if (readFileSync(options.typesFile, 'utf8') !== expected) {
            throw new Error(`${options.typesFile} is stale: run \`npm run openapi:types\` and commit the result`);
          }
        },
      ],
    ] as Array<[string, () => Promise<void>]>,
  };
}
