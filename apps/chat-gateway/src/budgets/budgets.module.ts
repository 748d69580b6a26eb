import { Module } from '@nestjs/common';
import { TenantsModule } from '../tenants/tenants.module';
import { outboxWriterProvider } from '../outbox-writer/outbox-writer.provider';
import { BudgetEnforcementService } from './budget-enforcement.service';
import { BudgetsController } from './budgets.controller';
import { BudgetsRepository } from './budgets.repository';
import { BudgetsService } from './budgets.service';

@Module({
  imports: [TenantsModule],
  controllers: [BudgetsController],
  providers: [BudgetsRepository, BudgetsService, BudgetEnforcementService, outboxWriterProvider],
  exports: [BudgetEnforcementService],
})
export class BudgetsModule {}
