import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { DEFAULT_SCHEMA_NAMES, SchemaNames, schemaMappingClient } from '@chat-ledger/database';
import { Registry } from 'prom-client';
import { OutboxMetrics } from '../metrics/outbox-metrics';
import { OutboxRelay, OutboxRelayOptions } from './outbox-relay';
import { OUTBOX_GAUGES_SQL } from './relay-store';
import { relayOptionsFromEnv } from './relay-options';
import type { OutboxRelayEnv } from './relay.env';

export interface OutboxRelayModuleOptions {
  /** Run the relay in this process (chat-gateway: RELAY_ENABLED). The outbox metrics and gauges exist either way. */
  enabled: boolean;
  databaseUrl: string;
  /** Where the outbox lives (OUTBOX_SCHEMA, OUTBOX_TABLE); the default names otherwise. */
  schemaNames?: SchemaNames;
  env: OutboxRelayEnv;
  /** Test and tooling overrides of the options derived from `env` (e.g. a fixed instanceId). */
  overrides?: Partial<OutboxRelayOptions>;
}

export const OUTBOX_RELAY_MODULE_OPTIONS = Symbol('OUTBOX_RELAY_MODULE_OPTIONS');

export interface KafkaHealth {
  status: 'up' | 'down';
  error?: string;
}

/**
 * Hosts the relay in a Nest app: starts it after bootstrap (failing the start when the topic is not
 * ready), stops it gracefully on shutdown (SIGTERM with enableShutdownHooks), and feeds the outbox metrics.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private readonly pool: Pool;
  readonly relay?: OutboxRelay;

  constructor(
    @Inject(OUTBOX_RELAY_MODULE_OPTIONS) options: OutboxRelayModuleOptions,
    readonly metrics: OutboxMetrics,
  ) {
    this.pool = new Pool({
      Client: schemaMappingClient(options.schemaNames ?? DEFAULT_SCHEMA_NAMES),
      connectionString: options.databaseUrl,
      max: 2,
      application_name: 'outbox-relay-maintenance',
      connectionTimeoutMillis: 5_000,
    });
    // An idle pooled connection that breaks must not crash the host.
    this.pool.on('error', () => undefined);
    metrics.setGaugeSource(() => this.collectGauges());
    if (options.enabled) {
      const relayOptions = {
        ...relayOptionsFromEnv(options.env, options.databaseUrl, this.logger),
        schemaNames: options.schemaNames,
        ...options.overrides,
      };
      this.relay = new OutboxRelay(relayOptions, this.logger, metrics, this.pool);
    }
  }

  get enabled(): boolean {
    return this.relay !== undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.relay?.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
    await this.pool.end().catch(() => undefined);
  }

  /** Readiness of the relay's Kafka side; undefined when the relay does not run in this process. */
  kafkaHealth(): KafkaHealth | undefined {
    if (!this.relay) return undefined;
    const { running, kafka } = this.relay.status();
    if (!running) return { status: 'down', error: 'relay not running' };
    return kafka.up ? { status: 'up' } : { status: 'down', error: kafka.lastError ?? 'producer not connected' };
  }

  private async collectGauges(): Promise<void> {
    const { rows } = await this.pool.query<{ pending: string; dead: string; oldest_pending_age_seconds: number | null }>(OUTBOX_GAUGES_SQL);
    const row = rows[0]!;
    this.metrics.pendingRows.set(Number(row.pending));
    this.metrics.deadRows.set(Number(row.dead));
    this.metrics.oldestPendingAge.set(Math.max(0, row.oldest_pending_age_seconds ?? 0));
    if (this.relay) {
      const status = this.relay.status();
      this.metrics.kafkaUp.set(status.kafka.up ? 1 : 0);
      this.metrics.shardsHeld.set(status.shards.length);
    }
  }
}

/**
 * The outbox relay as a Nest module (global, so a host's health controller can inject
 * OutboxRelayService). Its metrics go into the host's prom-client Registry: the host imports
 * libs/platform's MetricsModule, which serves them on GET /metrics.
 */
@Global()
@Module({})
export class OutboxRelayModule {
  static forRoot(options: OutboxRelayModuleOptions): DynamicModule {
    return {
      module: OutboxRelayModule,
      providers: [
        { provide: OUTBOX_RELAY_MODULE_OPTIONS, useValue: options },
        { provide: OutboxMetrics, useFactory: (registry: Registry) => new OutboxMetrics(registry), inject: [Registry] },
        OutboxRelayService,
      ],
      exports: [OutboxMetrics, OutboxRelayService],
    };
  }
}
