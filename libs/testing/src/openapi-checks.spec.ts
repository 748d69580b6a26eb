import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiBearerAuth, ApiExcludeEndpoint, ApiOkResponse, ApiProperty, ResponseObject } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { createOpenApiDocument, CsvExport, Public, RateLimitedWrite, RequireScopes } from '@chat-ledger/platform';
import { openApiCompletenessProblems, openApiValidationProblems } from './openapi-checks';
import { OpenApiResponseValidator } from './openapi-response-validator';

class Thing {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: String, nullable: true }) note!: string | null;
}
class NewThing {
  @ApiProperty() @IsString() name!: string;
}

@ApiBearerAuth()
@Controller('things')
class CompleteController {
  @Get() @ApiOkResponse({ type: Thing }) list() {}
  @Post() @HttpCode(200) @RateLimitedWrite() @RequireScopes('things:write') @ApiOkResponse({ type: Thing }) create(@Body() _dto: NewThing) {}
  @Get('export') @CsvExport({ name: 'things', rows: () => [] }) @ApiOkResponse({ type: Thing }) export() {}
}

@Controller('broken')
class BrokenController {
  /** Needs a token, documents no security and no success schema. */
  @Get() list() {}
  /** Answers 201 (Nest's default for POST), documents 200. */
  @Post() @ApiBearerAuth() @ApiOkResponse({ type: Thing }) create() {}
  @Public() @Get('public') @ApiBearerAuth() @ApiOkResponse({ type: Thing }) open() {}
  @Get('hidden') @ApiExcludeEndpoint() hidden() {}
}

async function documentOf(...controllers: Array<new (...args: never[]) => unknown>) {
  const app = await NestFactory.create({ module: class ToyModule {}, controllers }, { logger: false, abortOnError: false });
  return { app, document: createOpenApiDocument(app, { title: 'toy', description: 'toy', version: '1' }) };
}

describe('OpenAPI checks', () => {
  it('find nothing wrong with a complete, valid document', async () => {
    const { app, document } = await documentOf(CompleteController);
    try {
      expect(openApiCompletenessProblems(app, document)).toEqual([]);
      expect(await openApiValidationProblems(document)).toEqual([]);
      // What the platform and the decorators added by themselves:
      expect(Object.keys(document.paths['/things']!.post!.responses)).toEqual(['200', '400', '401', '403', '413', '415', '429', '500', '503']);
      expect(Object.keys((document.paths['/things/export']!.get!.responses['200'] as ResponseObject).content!)).toEqual(['application/json', 'text/csv']);
    } finally {
      await app.close();
    }
  });

  it('name every gap: security, success schema, the status Nest answers, a public route with security, an undocumented route', async () => {
    const { app, document } = await documentOf(BrokenController);
    try {
      expect(openApiCompletenessProblems(app, document)).toEqual([
        'GET /broken: 200 without a schema',
        'GET /broken: needs a token (not @Public) but has no bearer security',
        'GET /broken: 401 missing (it needs a token)',
        'POST /broken: answers 201, which is not documented (documented: 200)',
        'GET /broken/public: @Public but documented with bearer security',
        'GET /broken/hidden: Nest route missing from the document',
      ]);
    } finally {
      await app.close();
    }
  });
});

describe('OpenApiResponseValidator', () => {
  let validator: OpenApiResponseValidator;
  beforeAll(async () => {
    const { app, document } = await documentOf(CompleteController);
    validator = new OpenApiResponseValidator(JSON.parse(JSON.stringify(document)));
    await app.close();
  });
  const id = '0190a7c4-0000-7000-8000-000000000001';
  const check = (status: number, body: unknown, type = 'application/json; charset=utf-8') => validator.check('GET', '/things', status, type, body);

  it('accepts a body as documented (nullable fields null or set), and the error body for documented errors', () => {
    expect(check(200, { id, note: null })).toEqual([]);
    expect(check(200, { id, note: 'n' })).toEqual([]);
    expect(check(401, { error: { code: 'UNAUTHENTICATED', message: 'missing bearer token', details: [] } })).toEqual([]);
    expect(validator.check('GET', '/things/export', 200, 'text/csv; charset=utf-8', 'id,note\r\n')).toEqual([]);
  });

  it('refuses a missing, mistyped, misformatted or undocumented field, an undocumented status or content type', () => {
    expect(check(200, { id })).toEqual(["GET /things → 200: body must have required property 'note'"]);
    expect(check(200, { id: 'not-a-uuid', note: 1 })).toEqual([
      'GET /things → 200: body/id must match format "uuid"',
      'GET /things → 200: body/note must be string',
      'GET /things → 200: body/note must be null',
      'GET /things → 200: body/note must match a schema in anyOf',
    ]);
    expect(check(200, { id, note: null, extra: true })).toEqual(['GET /things → 200: body must NOT have additional properties (extra)']);
    expect(check(404, { error: { code: 'NOT_FOUND', message: 'm', details: [] } })).toEqual([
      'GET /things → 404: status not documented (documented: 200, 401, 500, 503)',
    ]);
    expect(check(200, 'id,note', 'text/csv')).toEqual(['GET /things → 200: answered text/csv, documented application/json']);
    expect(check(401, { error: { code: 'NOPE', message: 'm', details: [] } })[0]).toContain('body/error/code must be equal to one of the allowed values');
  });
});
