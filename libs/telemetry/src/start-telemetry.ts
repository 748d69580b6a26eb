import { diag, DiagLogLevel } from '@opentelemetry/api';
import { OtelEnvOptions, OtelSettings, readOtelSettings, tracingEnabled } from './otel.env';
import type * as TracingSdkModule from './sdk/tracing-sdk';
import type { TracingSdk } from './sdk/tracing-sdk';

/** Where OpenTelemetry's own warnings go once the app has a logger (exports that fail, dropped spans). */
export interface TelemetryLogger {
  warn(message: unknown, context?: string): void;
}

export interface Telemetry {
  /** Tracing runs in this process (OTEL_EXPORTER_OTLP_ENDPOINT set, OTEL_SDK_DISABLED not true). */
  readonly enabled: boolean;
  /** With tracing on: instrumented modules that were loaded before it started, so are not traced (an import-order mistake). */
  readonly loadedTooEarly: string[];
  /** Exports every finished span now (the app's shutdown does it, see TelemetryModule). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
  /**
   * Sends OpenTelemetry's warnings to the app's logger, one line per distinct problem per minute, and warns once
   * about `loadedTooEarly`.
   */
  reportTo(logger: TelemetryLogger): void;
}

const INSTRUMENTED_MODULES = ['express', 'router', 'pg', 'pg-pool', 'kafkajs'];

const off: Telemetry = {
  enabled: false,
  loadedTooEarly: [],
  flush: async () => undefined,
  shutdown: async () => undefined,
  reportTo: () => undefined,
};

let current: Telemetry = off;

/** The telemetry this process started (a no-op one while tracing is off). */
export function currentTelemetry(): Telemetry {
  return current;
}

function loadedInstrumentedModules(): string[] {
  const loaded = Object.keys(require.cache)
    .map((path) => /^node_modules[\\/]([^\\/]+)[\\/]/.exec(path.slice(path.lastIndexOf('node_modules')))?.[1])
    .filter((name): name is string => name !== undefined && INSTRUMENTED_MODULES.includes(name));
  return [...new Set(loaded)].sort();
}

/**
 * Starts tracing when the environment asks for it, and does nothing else otherwise: without
 * OTEL_EXPORTER_OTLP_ENDPOINT the SDK is not even loaded, and the spans the code starts through
 * @opentelemetry/api are its no-op ones.
 *
 * Call it before anything loads http, express, pg or kafkajs (an app's main.ts imports its `telemetry.ts` first):
 * the instrumentations patch those modules as they are required. It reads only the OTEL_* keys, leniently: with a
 * bad one tracing stays off, and the app's config (whose schema composes WithOtelEnv) reports it with every other
 * bad key right after. Once per process.
 */
export function startTelemetry(env: Record<string, string | undefined>, options: OtelEnvOptions): Telemetry {
  if (current !== off) return current;
  const settings = readOtelSettings(env, options);
  if (!settings || !tracingEnabled(settings)) return off;
  current = startWith(settings);
  return current;
}

function startWith(settings: OtelSettings): Telemetry {
  const loadedTooEarly = loadedInstrumentedModules();
  // Required here, not imported above: while tracing is off the SDK must cost nothing, not even its loading.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startTracingSdk } = require('./sdk/tracing-sdk') as typeof TracingSdkModule;
  const sdk: TracingSdk = startTracingSdk(settings);
  return {
    enabled: true,
    loadedTooEarly,
    flush: () => sdk.flush(),
    shutdown: async () => {
      await sdk.shutdown();
      current = off;
    },
    reportTo(logger) {
      const lastSaid = new Map<string, number>();
      const say = (...args: unknown[]) => {
        const message = args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
        const now = Date.now();
        if (now - (lastSaid.get(message) ?? -Infinity) < 60_000) return;
        lastSaid.set(message, now);
        logger.warn({ msg: 'opentelemetry', problem: message.slice(0, 1_000) }, 'Telemetry');
      };
      const quiet = () => undefined;
      if (loadedTooEarly.length > 0) logger.warn({ msg: 'loaded before OpenTelemetry started, so not traced', modules: loadedTooEarly }, 'Telemetry');
      diag.setLogger({ error: say, warn: say, info: quiet, debug: quiet, verbose: quiet }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
    },
  };
}
