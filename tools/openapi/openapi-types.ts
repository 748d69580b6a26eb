import type { OpenAPIObject } from '@nestjs/swagger';
import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { gatewayOpenApiDocument } from '../../apps/chat-gateway/src';
import { ledgerOpenApiDocument } from '../../apps/ledger-consumer/src';

/** The apps that serve an OpenAPI document, and where the types generated from it are checked in. */
export const OPENAPI_APPS = [
  { app: 'chat-gateway', document: gatewayOpenApiDocument, typesFile: 'apps/chat-gateway/test/openapi.d.ts' },
  { app: 'ledger-consumer', document: ledgerOpenApiDocument, typesFile: 'apps/ledger-consumer/test/openapi.d.ts' },
] as const;

const NOTE = "// Generated from the app's OpenAPI document by `npm run openapi:types`; test/openapi.int-spec.ts fails when it is stale.";

/**
 * Reads a document on stdin, writes its types on stdout. openapi-typescript loads ES modules (parse-json,
 * supports-color), which plain Node 20.19+ requires but jest's CommonJS runtime cannot: so it runs in a child
 * process, the same for `npm run openapi:types` and for the test that compares the checked-in types.
 */
const GENERATOR = `
const { default: openapiTS, astToString, COMMENT_HEADER } = require('openapi-typescript');
let input = '';
process.stdin.setEncoding('utf8').on('data', (chunk) => (input += chunk)).on('end', async () => {
    // defaultNonNullable: false, or a request field with a default (usage.cached_tokens) would be required.
  const ast = await openapiTS(JSON.parse(input), { silent: true, defaultNonNullable: false });
  process.stdout.write(COMMENT_HEADER.trimEnd() + '\\n' + ${JSON.stringify(NOTE)} + '\\n\\n' + astToString(ast));
});
`;

/** TypeScript types of a document (openapi-typescript): `paths`, `components` and `operations`. */
export function openApiTypes(document: OpenAPIObject): Promise<string> {
  // Resolved from here, so the child finds this repository's node_modules (tools/openapi or dist/tools/openapi).
  const cwd = dirname(require.resolve('openapi-typescript/package.json'));
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['--no-warnings', '-e', GENERATOR], { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`openapi-typescript failed: ${stderr || error.message}`)) : resolve(stdout),
    );
    child.stdin!.end(JSON.stringify(document));
  });
}
