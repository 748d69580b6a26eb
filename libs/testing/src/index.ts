export * from './eventually';
export * from './free-port';
export * from './test-database';
export * from './http-client';
export * from './builders';
export * from './fuzz/seeded-random';
export * from './fuzz/hostile-values';
export * from './fuzz/fuzz-cases';
