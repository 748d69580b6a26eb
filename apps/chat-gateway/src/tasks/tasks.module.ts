import { Module } from '@nestjs/common';
import { BudgetsModule } from '../budgets/budgets.module';
import { ConversationsModule } from '../conversations/conversations.module';
import { outboxWriterProvider } from '../outbox-writer/outbox-writer.provider';
import { TasksController } from './tasks.controller';
import { TasksRepository } from './tasks.repository';
import { TasksService } from './tasks.service';

@Module({
  imports: [BudgetsModule, ConversationsModule],
  controllers: [TasksController],
  providers: [TasksService, TasksRepository, outboxWriterProvider],
  exports: [TasksRepository],
})
export class TasksModule {}
