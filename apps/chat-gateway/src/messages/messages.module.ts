import { BudgetsModule } from '../budgets/budgets.module';
import { Module } from '@nestjs/common';
import { ConversationsModule } from '../conversations/conversations.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { LedgerTotalsModule } from '../ledger-totals/ledger-totals.module';
import { MessageHistoryService } from './message-history.service';
import { MessagesController } from './messages.controller';
import { MessagesRepository } from './messages.repository';
import { MessageWriteRepository } from './message-write.repository';
import { RecordMessageUseCase } from './record-message.use-case';
import { TenantsModule } from '../tenants/tenants.module';

@Module({
  imports: [BudgetsModule, ConversationsModule, IdempotencyModule, LedgerTotalsModule, TenantsModule],
  controllers: [MessagesController],
  providers: [RecordMessageUseCase, MessageHistoryService, MessagesRepository, MessageWriteRepository],
  exports: [MessagesRepository],
})
export class MessagesModule {}
