import { Module } from '@nestjs/common';
import { LedgerRetentionRepository } from './ledger-retention.repository';
import { LedgerRetentionService } from './ledger-retention.service';

@Module({ providers: [LedgerRetentionRepository, LedgerRetentionService], exports: [LedgerRetentionService] })
export class RetentionModule {}
