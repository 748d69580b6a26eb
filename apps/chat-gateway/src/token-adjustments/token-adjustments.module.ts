import { Module } from '@nestjs/common';
import { OutboxWriter } from '@chat-ledger/outbox';
import { ConversationsModule } from '../conversations/conversations.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { MessagesModule } from '../messages/messages.module';
import { RecordTokenAdjustmentUseCase } from './record-token-adjustment.use-case';
import { TokenAdjustmentsController } from './token-adjustments.controller';

@Module({
  imports: [ConversationsModule, MessagesModule, IdempotencyModule],
  controllers: [TokenAdjustmentsController],
  providers: [RecordTokenAdjustmentUseCase, OutboxWriter],
})
export class TokenAdjustmentsModule {}
