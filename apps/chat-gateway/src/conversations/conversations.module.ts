import { Module } from '@nestjs/common';
import { LedgerTotalsModule } from '../ledger-totals/ledger-totals.module';
import { TenantsModule } from '../tenants/tenants.module';
import { ConversationsController } from './conversations.controller';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';

@Module({
  imports: [LedgerTotalsModule, TenantsModule],
  controllers: [ConversationsController],
  providers: [ConversationsService, ConversationsRepository],
  exports: [ConversationsRepository],
})
export class ConversationsModule {}
