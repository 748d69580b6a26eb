import { DynamicModule, ForwardReference, INestApplication, Module, Type } from '@nestjs/common';
import { MODULE_METADATA, SELF_DECLARED_DEPS_METADATA, PARAMTYPES_METADATA } from '@nestjs/common/constants';
import { NestFactory } from '@nestjs/core';
import { ApiExtension, DocumentBuilder, getSchemaPath, OpenAPIObject, OperationObject, ResponseObject, SwaggerModule } from '@nestjs/swagger';
import { ApiErrorStatus, ERROR_CODES_EXTENSION, errorResponseObject } from '../errors/api-error-responses';
import { ErrorBodyDto } from '../errors/error-body.dto';
import { ErrorCode } from '../errors/error-code';

export interface OpenApiInfo {
  title: string;
  description: string;
  version: string;
}

/** Where configureHttpApp serves the document: the UI, and the document as JSON (and YAML at /docs-yaml). */
export const OPENAPI_UI_PATH = 'docs';
export const OPENAPI_JSON_PATH = 'docs-json';

/** The bearer scheme every secured route names (`@ApiBearerAuth()`'s default name). */
export const BEARER_SCHEME = 'bearer';

const CSV_EXTENSION = 'x-chat-ledger-csv';

/**
 * Documents `text/csv` as an alternative content of the route's 200 response (Accept: text/csv); the JSON schema
 * stays the application/json content. CsvExport applies it; a route that streams CSV itself uses it directly.
 */
export const ApiCsvAlternative = (description = 'the same rows as CSV (RFC 4180, a header line, nested fields joined with _), as an attachment') =>
  ApiExtension(CSV_EXTENSION, { description });

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;

/** Iterates the operations of a document with their method and path. */
export function* operationsOf(document: OpenAPIObject): Generator<{ path: string; method: (typeof METHODS)[number]; operation: OperationObject }> {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) yield { path, method, operation };
    }
  }
}

function addError(operation: OperationObject, status: ApiErrorStatus, codes: ErrorCode[]): void {
  const existing = operation.responses[status] as (ResponseObject & Record<string, unknown>) | undefined;
  const known = (existing?.[ERROR_CODES_EXTENSION] as ErrorCode[] | undefined) ?? [];
  operation.responses[status] = {
    ...errorResponseObject(status, [...new Set([...known, ...codes])]),
    content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorBodyDto) } } },
  } as ResponseObject;
}

/**
 * What configureHttpApp's middleware and global guard do to every route, added to every operation it applies to
 * (so no route can forget it): 500 everywhere (the error filter); 401 and 503 where the route names the bearer scheme
 * (the global AuthGuard; 503 while the JWKS cannot be fetched); 400 where it takes a query (the validation pipe) or a JSON body (the strict body parser and
 * the validation pipe), with 413 and 415 for bodies. Routes marked with ApiCsvAlternative get `text/csv` on 200.
 */
export function completeOpenApiDocument(document: OpenAPIObject): OpenAPIObject {
  for (const { operation } of operationsOf(document)) {
    const parameters = (operation.parameters ?? []) as Array<{ in?: string }>;
    if (operation.requestBody) {
      addError(operation, 400, [ErrorCode.ValidationFailed, ErrorCode.MalformedJson]);
      addError(operation, 413, [ErrorCode.PayloadTooLarge]);
      addError(operation, 415, [ErrorCode.UnsupportedMediaType]);
    }
    if (parameters.some((p) => p.in === 'query')) addError(operation, 400, [ErrorCode.ValidationFailed]);
    if ((operation.security ?? []).some((requirement: Record<string, string[]>) => BEARER_SCHEME in requirement)) {
      addError(operation, 401, [ErrorCode.Unauthenticated]);
      // The guard answers 503 while the identity provider's key set (JWT_JWKS_URL) cannot be fetched.
      addError(operation, 503, [ErrorCode.ServiceUnavailable]);
    }
    addError(operation, 500, [ErrorCode.Internal]);

    const extensions = operation as unknown as Record<string, unknown>;
    const csv = extensions[CSV_EXTENSION] as { description: string } | undefined;
    if (csv) {
      delete extensions[CSV_EXTENSION];
      const ok = operation.responses[200] as ResponseObject | undefined;
      if (!ok?.content?.['application/json']) throw new Error(`${operation.operationId}: a CSV alternative needs a documented 200 JSON response`);
      ok.content['text/csv'] = { schema: { type: 'string', description: csv.description } };
    }
    // Sorted by status, so the document (and the types generated from it) do not depend on decorator order.
    operation.responses = Object.fromEntries(Object.entries(operation.responses).sort(([a], [b]) => a.localeCompare(b)));
  }
  return document;
}

/** The app's OpenAPI document: what configureHttpApp serves and what the generated test types come from. */
export function createOpenApiDocument(app: INestApplication, info: OpenApiInfo): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(info.title)
    .setDescription(info.description)
    .setVersion(info.version)
    .addBearerAuth(undefined, BEARER_SCHEME)
    .build();
  return completeOpenApiDocument(SwaggerModule.createDocument(app, config, { extraModels: [ErrorBodyDto] }));
}

type ModuleRef = Type | DynamicModule | ForwardReference | Promise<DynamicModule>;

/** Every controller an app module imports, directly or through its imports (static and dynamic modules). */
export function controllersOf(root: Type | DynamicModule): Type[] {
  const seen = new Set<unknown>();
  const controllers = new Set<Type>();
  const visit = (ref: ModuleRef | undefined): void => {
    if (!ref || seen.has(ref)) return;
    seen.add(ref);
    if (ref instanceof Promise) throw new Error('controllersOf: async dynamic modules are not supported');
    if ('forwardRef' in ref) return visit(ref.forwardRef());
    const dynamic = 'module' in ref ? (ref as DynamicModule) : undefined;
    const type = dynamic ? dynamic.module : (ref as Type);
    for (const c of [...(Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, type) ?? []), ...(dynamic?.controllers ?? [])]) controllers.add(c);
    for (const m of [...(Reflect.getMetadata(MODULE_METADATA.IMPORTS, type) ?? []), ...(dynamic?.imports ?? [])]) visit(m);
  };
  visit(root);
  return [...controllers];
}

/**
 * A module with the app's controllers and nothing behind them: every constructor dependency is an empty stub.
 * Enough for SwaggerModule, which reads decorators only, so a document is built without a database or Kafka.
 */
export function openApiDocsModule(root: Type | DynamicModule): DynamicModule {
  const controllers = controllersOf(root);
  const tokens = new Set<unknown>();
  for (const controller of controllers) {
    const deps: unknown[] = [...(Reflect.getMetadata(PARAMTYPES_METADATA, controller) ?? [])];
    for (const { index, param } of Reflect.getMetadata(SELF_DECLARED_DEPS_METADATA, controller) ?? []) deps[index] = param;
    deps.forEach((token) => tokens.add(token));
  }
  @Module({})
  class OpenApiDocsModule {}
  return { module: OpenApiDocsModule, controllers, providers: [...tokens].map((token) => ({ provide: token as string, useValue: {} })) };
}

/** An app's document from its root module, without starting anything the module would connect to. */
export async function buildOpenApiDocument(root: Type | DynamicModule, info: OpenApiInfo): Promise<OpenAPIObject> {
  const app = await NestFactory.create(openApiDocsModule(root), { logger: false, abortOnError: false });
  try {
    return createOpenApiDocument(app, info);
  } finally {
    await app.close();
  }
}
