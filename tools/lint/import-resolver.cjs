/**
 * Import resolver for eslint-plugin-boundaries (the eslint-plugin-import resolver interface, version 2): maps the
 * path aliases of tsconfig.json (`@chat-ledger/<lib>`, …) to their files, a deep `@chat-ledger/<lib>/<path>` (which
 * tsc would refuse) to the lib's file, and relative specifiers to the .ts / .js file or folder index they name, so
 * the boundary rules see where every import lands. Anything else (packages, node:*) is reported as not found, which
 * the plugin classifies as external and leaves alone.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const tsconfig = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8'));
const aliases = new Map(Object.entries(tsconfig.compilerOptions.paths).map(([alias, [target]]) => [alias, path.join(root, target)]));
const candidates = ['', '.ts', '.js', '.json', '/index.ts', '/index.js'];

function isFile(file) {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function fileOf(base) {
  const hit = candidates.map((suffix) => base + suffix).find(isFile);
  return hit ? { found: true, path: hit } : { found: false };
}

exports.interfaceVersion = 2;
exports.resolve = function resolve(source, file) {
  const alias = aliases.get(source);
  if (alias) return { found: true, path: alias };
  const deep = /^@chat-ledger\/([^/]+)\/(.+)$/.exec(source);
  if (deep) return fileOf(path.join(root, 'libs', deep[1], deep[2]));
  if (source.startsWith('.')) return fileOf(path.resolve(path.dirname(file), source));
  return { found: false };
};
