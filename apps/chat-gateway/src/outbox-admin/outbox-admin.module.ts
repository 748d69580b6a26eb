import { Module } from '@nestjs/common';
import { OutboxAdminController } from './outbox-admin.controller';
import { OutboxAdminRepository, OutboxAdminService } from '@chat-ledger/outbox';

@Module({
  controllers: [OutboxAdminController],
  providers: [OutboxAdminService, OutboxAdminRepository],
  exports: [OutboxAdminService],
})
export class OutboxAdminModule {}
