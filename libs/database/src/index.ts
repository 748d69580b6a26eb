export * from './embedded-postgres-server';
export * from './data-source-options';
export * from './run-migrations';
export * from './database-url';
export * from './sql';
export * from './connection-mode';
export * from './prepared-query';
