import { resolve } from 'node:path';
import { openApiSuite } from '@chat-ledger/testing';
import { openApiTypes } from '../../../tools/openapi/openapi-types';
import { ledgerOpenApiDocument } from '../src/openapi';
import { startLedger } from './ledger-test-app';

describe('ledger-consumer OpenAPI document', () => {
  const suite = openApiSuite({
    start: () => startLedger(),
    build: ledgerOpenApiDocument,
    types: openApiTypes,
    typesFile: resolve(__dirname, 'openapi.d.ts'),
  });
  beforeAll(() => suite.setup());
  afterAll(() => suite.teardown());
  for (const [name, check] of suite.checks) it(name, check);
});
