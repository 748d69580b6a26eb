import { Module } from '@nestjs/common';
import { LedgerTotalsRepository } from './ledger-totals.repository';

@Module({ providers: [LedgerTotalsRepository], exports: [LedgerTotalsRepository] })
export class LedgerTotalsModule {}
