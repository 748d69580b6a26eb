export * from './eventually';
export * from './free-port';
export * from './test-database';
export * from './http-client';
export * from './builders';
