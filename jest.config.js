/**
 * Three kinds of tests, all run by `npm test`:
 *  - unit (*.spec.ts): pure logic, no servers;
 *  - int (*.int-spec.ts): one component against real PostgreSQL / the embedded Kafka broker;
 *  - e2e (test/**\/*.e2e-spec.ts): the apps together, over HTTP and Kafka.
 * The global setup starts one embedded PostgreSQL (or uses DATABASE_URL); each test file makes its own database.
 */
const { readFileSync } = require('node:fs');

const tsconfig = JSON.parse(readFileSync(`${__dirname}/tsconfig.json`, 'utf8'));
const moduleNameMapper = Object.fromEntries(
  Object.entries(tsconfig.compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target.replace(/^\.\//, '')}`]),
);
const transform = {
  '^.+\\.ts$': [
    'ts-jest',
    {
      tsconfig: { ...tsconfig.compilerOptions, module: 'commonjs', moduleResolution: 'node10', isolatedModules: true, ignoreDeprecations: '6.0' },
      diagnostics: false,
    },
  ],
};
const common = { rootDir: __dirname, moduleFileExtensions: ['ts', 'js', 'json'], transform, moduleNameMapper, testEnvironment: 'node' };

module.exports = {
  globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'] },
    { ...common, displayName: 'int', testMatch: ['<rootDir>/{apps,libs,tools}/**/*.int-spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
