import { Module } from '@nestjs/common';
import { OutboxAdminController } from './outbox-admin.controller';
import { OutboxAdminRepository } from './outbox-admin.repository';
import { OutboxAdminService } from './outbox-admin.service';

@Module({
  controllers: [OutboxAdminController],
  providers: [OutboxAdminService, OutboxAdminRepository],
  exports: [OutboxAdminService],
})
export class OutboxAdminModule {}
