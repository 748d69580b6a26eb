import { Module } from '@nestjs/common';
import { TenantsModule } from '../tenants/tenants.module';
import { BudgetEnforcementService } from './budget-enforcement.service';
import { BudgetsController } from './budgets.controller';
import { BudgetsRepository } from './budgets.repository';
import { BudgetsService } from './budgets.service';

@Module({
  imports: [TenantsModule],
  controllers: [BudgetsController],
  providers: [BudgetsRepository, BudgetsService, BudgetEnforcementService],
  exports: [BudgetEnforcementService],
})
export class BudgetsModule {}
