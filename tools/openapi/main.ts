import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { OPENAPI_APPS, openApiTypes } from './openapi-types';

/**
 * `npm run openapi:types`: builds each app's OpenAPI document without a database (its controllers over stubs) and
 * writes the TypeScript types generated from it next to the app's tests.
 */
async function main(): Promise<void> {
  for (const { app, document, typesFile } of OPENAPI_APPS) {
    const file = resolve(process.cwd(), typesFile);
    await writeFile(file, await openApiTypes(await document()));
    process.stdout.write(`${app}: ${typesFile}\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`openapi:types failed: ${error?.stack ?? error}\n`);
  process.exit(1);
});
