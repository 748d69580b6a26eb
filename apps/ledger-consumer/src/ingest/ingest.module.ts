import { Module } from '@nestjs/common';
import { LedgerConfig } from '../config/ledger.config';
import { LedgerErasureRepository } from '../erasure/ledger-erasure.repository';
import { ApplyBatchUseCase } from './apply-batch.use-case';
import { DeadLetterPublisher } from './dead-letter-publisher';
import { KafkaClients } from './kafka-clients';
import { LedgerWriteRepository } from './ledger-write.repository';
import { TokenEventsConsumer } from './token-events.consumer';
import { UsageRecordsRepository } from './usage-records.repository';

@Module({
  providers: [
    { provide: KafkaClients, useFactory: (config: LedgerConfig) => new KafkaClients(config), inject: [LedgerConfig] },
    LedgerWriteRepository,
    UsageRecordsRepository,
    LedgerErasureRepository,
    ApplyBatchUseCase,
    DeadLetterPublisher,
    TokenEventsConsumer,
  ],
  exports: [ApplyBatchUseCase, TokenEventsConsumer],
})
export class IngestModule {}
