import { resolve } from 'node:path';
import { openApiSuite } from '@chat-ledger/testing';
import { openApiTypes } from '../../../tools/openapi/openapi-types';
import { gatewayOpenApiDocument } from '../src/openapi';
import { startGateway } from './gateway-test-app';

describe('chat-gateway OpenAPI document', () => {
  const suite = openApiSuite({
    start: () => startGateway(),
    build: gatewayOpenApiDocument,
    types: openApiTypes,
    typesFile: resolve(__dirname, 'openapi.d.ts'),
  });
  beforeAll(() => suite.setup());
  afterAll(() => suite.teardown());
  for (const [name, check] of suite.checks) it(name, check);
});
