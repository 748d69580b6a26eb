import { DynamicModule, Global, Module } from '@nestjs/common';
import { LedgerConfig } from './ledger.config';

@Global()
@Module({})
export class LedgerConfigModule {
  static forRoot(config: LedgerConfig): DynamicModule {
    return { module: LedgerConfigModule, providers: [{ provide: LedgerConfig, useValue: config }], exports: [LedgerConfig] };
  }
}
