import { Module } from '@nestjs/common';
import { UsageController } from './usage.controller';
import { UsageReadRepository } from './usage.repository';
import { UsageService } from './usage.service';

@Module({ controllers: [UsageController], providers: [UsageService, UsageReadRepository] })
export class UsageModule {}
