/**
 * `node -r ./libs/testing/src/register-ts.js apps/outbox-relay/src/main.ts`: runs the TypeScript sources without a
 * build (transpile only, like the jest setup: CommonJS, no type check), resolving the @chat-ledger/*
 * path aliases from tsconfig.json. Used by tests that need an app as a real child process (so they
 * can SIGKILL it) without depending on `npm run build` and a shared dist/ directory.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const ts = require('typescript');

const root = path.resolve(__dirname, '..', '..', '..');
const tsconfig = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8'));
const aliases = new Map(Object.entries(tsconfig.compilerOptions.paths).map(([alias, [target]]) => [alias, path.join(root, target)]));

const { options: compilerOptions } = ts.convertCompilerOptionsFromJson(
  {
    ...tsconfig.compilerOptions,
    module: 'commonjs',
    moduleResolution: 'node10',
    ignoreDeprecations: '6.0',
    isolatedModules: true,
    sourceMap: false,
    inlineSourceMap: true,
    inlineSources: true,
    declaration: false,
  },
  root,
);

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, aliases.get(request) ?? request, ...rest);
};

require.extensions['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: filename });
  module._compile(outputText, filename);
};

process.setSourceMapsEnabled?.(true);
