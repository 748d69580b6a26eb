import { BudgetsModule } from '../budgets/budgets.module';
import { Module } from '@nestjs/common';
import { ConversationsModule } from '../conversations/conversations.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { MessagesModule } from '../messages/messages.module';
import { RecordTokenAdjustmentUseCase } from './record-token-adjustment.use-case';
import { TokenAdjustmentsController } from './token-adjustments.controller';
import { TenantsModule } from '../tenants/tenants.module';

@Module({
  imports: [BudgetsModule, ConversationsModule, MessagesModule, IdempotencyModule, TenantsModule],
  controllers: [TokenAdjustmentsController],
  providers: [RecordTokenAdjustmentUseCase],
})
export class TokenAdjustmentsModule {}
