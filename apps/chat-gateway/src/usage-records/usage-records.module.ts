import { Module } from '@nestjs/common';
import { BudgetsModule } from '../budgets/budgets.module';
import { ConversationsModule } from '../conversations/conversations.module';
import { TasksModule } from '../tasks/tasks.module';
import { TenantsModule } from '../tenants/tenants.module';
import { UpsertUsageRecordUseCase } from './upsert-usage-record.use-case';
import { UsageRecordsController } from './usage-records.controller';
import { UsageRecordsRepository } from './usage-records.repository';
import { UsageRecordsService } from './usage-records.service';

@Module({
  imports: [BudgetsModule, ConversationsModule, TasksModule, TenantsModule],
  controllers: [UsageRecordsController],
  providers: [UpsertUsageRecordUseCase, UsageRecordsService, UsageRecordsRepository],
})
export class UsageRecordsModule {}
