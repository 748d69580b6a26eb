// @ts-check
/**
 * ESLint for the whole repository: the recommended JavaScript and typescript-eslint rules (syntax only, no type-aware
 * rules, so a run stays fast), and the import boundaries of the monorepo (eslint-plugin-boundaries):
 *  - libs/* never import apps/*; apps/* never import each other;
 *  - everything outside a lib (apps, other libs, tools, bench, tests) imports it through its public entry point, the
 *    `@chat-ledger/<lib>` alias of tsconfig.json (`@chat-ledger/outbox/testing` for the outbox's test kit), never
 *    by a relative path or a deep path into its files;
 *  - tools/* and bench/ reach an app only through its public entry point, apps/<app>/src/index.ts;
 *  - production code (apps, libs) never imports tools, bench or the tests, nor the test harness @chat-ledger/testing.
 * apps/console (the operators' console, TSX for the browser) is an app like the others: it imports no other app and
 * no lib, only its own files and its npm packages.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Resolves the tsconfig path aliases (and relative .ts imports) so that an import by alias is checked like a relative one. */
const importResolver = fileURLToPath(new URL('./tools/lint/import-resolver.cjs', import.meta.url));

/** Test code: spec files wherever they are, the apps' and libs' test folders, the end-to-end tests. */
const TEST_FILES = ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'apps/*/test/**', 'libs/*/test/**', 'test/**'];

/** A lib's public entry points: exactly the path aliases of tsconfig.json (`@chat-ledger/<lib>`, `@chat-ledger/outbox/testing`). */
const tsconfig = JSON.parse(readFileSync(new URL('./tsconfig.json', import.meta.url), 'utf8'));
const viaAlias = { source: Object.keys(tsconfig.compilerOptions.paths) };

const boundaryRules = {
  plugins: { boundaries },
  settings: {
    'import/resolver': { [importResolver]: {} },
    'boundaries/root-path': fileURLToPath(new URL('.', import.meta.url)),
    'boundaries/elements': [
      { type: 'app', pattern: 'apps/*', capture: ['app'], partialMatch: false },
      { type: 'lib', pattern: 'libs/*', capture: ['lib'], partialMatch: false },
      { type: 'tool', pattern: 'tools/*', capture: ['tool'], partialMatch: false },
      { type: 'bench', pattern: 'bench', partialMatch: false },
      { type: 'e2e', pattern: 'test', partialMatch: false },
    ],
    'boundaries/files': [...TEST_FILES.map((pattern) => ({ category: 'test', pattern })), { category: 'source', pattern: '**' }],
    'boundaries/files-single-match': true,
    'boundaries/legacy-templates': false,
  },
  rules: {
    'boundaries/dependencies': [
      'error',
      {
        default: 'disallow',
        // Imports inside one element (one app, one lib, one tool) are its own business.
        policies: [
          // Anyone may use a lib, through its alias.
          { allow: { to: { element: { type: 'lib' } }, dependency: viaAlias } },
          // ... but test code (the harness @chat-ledger/testing, a lib's test kit) only from test code, tools and bench.
          {
            from: { element: { type: ['app', 'lib'] }, file: { categories: 'source' } },
            disallow: [{ to: { element: { type: 'lib', captured: { lib: 'testing' } } } }, { to: { file: { categories: 'test' } } }],
            message: 'test code (@chat-ledger/testing, a test kit, a spec) must not be imported by the production code of apps and libs',
          },
          // An app's tests may drive the operator CLI against that app (ledger:reconcile in the ledger-consumer's tests),
          // and end-to-end tests against the stack (the CLI on a database with other schema names).
          { from: { element: { type: ['app', 'e2e'] }, file: { categories: 'test' } }, allow: { to: { element: { type: 'tool' } } } },
          // Tools use each other (the CLI reads the launcher's state file); bench starts apps with the launcher's ChildApp.
          { from: { element: { type: ['tool', 'bench'] } }, allow: { to: { element: { type: 'tool' } } } },
          // Tools and bench reach an app only through its public entry point.
          { from: { element: { type: ['tool', 'bench'] } }, allow: { to: { element: { type: 'app', fileInternalPath: 'src/index.ts' } } } },
          // End-to-end tests put the apps together with the apps' test harnesses (apps/<app>/test/*-test-app.ts).
          { from: { element: { type: 'e2e' } }, allow: { to: { element: { type: 'app', fileInternalPath: ['src/index.ts', 'test/**'] } } } },
          // Exception: jest's globalSetup runs outside the test environment, where the @chat-ledger/* aliases are not
          // mapped, so libs/testing/src/global-setup.ts imports the embedded PostgreSQL and Kafka broker from their
          // libs' source by relative path (and those files must not use aliases either).
          {
            from: { element: { captured: { lib: 'testing' }, fileInternalPath: 'src/global-setup.ts' } },
            allow: { to: { element: { type: 'lib', captured: { lib: ['database', 'kafka-broker'] } } } },
          },
        ],
      },
    ],
  },
};

export default defineConfig([
  globalIgnores(['**/dist/', '**/coverage/', '**/.data/', 'bench/results/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `const { dropped: _dropped, ...kept } = x` drops fields; a leading underscore marks a binding unused on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // `let app; const onFatal = () => app?.close(); app = await create(…)`: the closure needs the binding before it is set.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    ...boundaryRules,
  },
  {
    // The operators' console runs in the browser (bundled by Vite): browser globals, not Node's.
    files: ['apps/console/src/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // What jest's globalSetup loads (global-setup.ts and the files it imports) runs where the aliases are not mapped.
    files: ['libs/testing/src/global-setup.ts', 'libs/database/src/embedded-postgres-server.ts', 'libs/kafka-broker/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.int-spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@chat-ledger/*'], message: 'loaded by jest globalSetup, where the @chat-ledger/* aliases are not mapped: import by relative path' },
          ],
        },
      ],
    },
  },
  {
    // Tests and the test harness look into untyped JSON bodies and hostile inputs: `any` is the honest type there.
    files: [...TEST_FILES, 'libs/testing/src/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // CommonJS scripts (jest.config.js, the ts-node-like register hook, the lint resolver): require is how they import.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
]);
