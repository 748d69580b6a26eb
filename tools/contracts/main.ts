import 'reflect-metadata';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { contractSchemas, SCHEMA_DIR, serialise } from './json-schemas';

/**
 * `npm run contracts:schemas`: writes one JSON Schema per event contract into libs/contracts/schemas (and removes
 * schemas of contracts that no longer exist), so consumers outside this repository can validate what they read.
 */
async function main(): Promise<void> {
  const dir = resolve(process.cwd(), SCHEMA_DIR);
  await mkdir(dir, { recursive: true });
  const files = contractSchemas();
  const wanted = new Set(files.map((f) => f.file));
  for (const existing of await readdir(dir)) {
    if (existing.endsWith('.schema.json') && !wanted.has(existing)) await rm(join(dir, existing));
  }
  for (const { file, schema } of files) {
    await writeFile(join(dir, file), serialise(schema));
    process.stdout.write(`${SCHEMA_DIR}/${file}\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`contracts:schemas failed: ${error?.stack ?? error}\n`);
  process.exit(1);
});
