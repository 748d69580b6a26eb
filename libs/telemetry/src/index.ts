// Loaded first by every app's main.ts (before http, express, pg and kafkajs): nothing here may load them or the SDK.
export * from './otel.env';
export * from './start-telemetry';
export * from './trace-context';
export * from './message-trace-context';
export * from './telemetry.module';
