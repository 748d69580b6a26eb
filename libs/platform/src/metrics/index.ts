export * from './metrics.module';
export * from './metrics.controller';
export * from './http-metrics.middleware';
export * from './process-metrics';
