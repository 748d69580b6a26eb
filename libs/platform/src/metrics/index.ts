export * from './metrics.module';
export * from './metrics.controller';
export * from './metrics.env';
export * from './metrics-server';
export * from './http-metrics.middleware';
export * from './process-metrics';
