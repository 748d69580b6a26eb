import { Global, Module } from '@nestjs/common';
import { LedgerMetrics } from './ledger-metrics';

/** The ledger's metrics, in the app's Registry (AppModule imports libs/platform's MetricsModule, which serves /metrics). */
@Global()
@Module({ providers: [LedgerMetrics], exports: [LedgerMetrics] })
export class LedgerMetricsModule {}
