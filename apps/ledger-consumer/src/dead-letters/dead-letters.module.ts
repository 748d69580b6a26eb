import { Module } from '@nestjs/common';
import { DeadLettersController } from './dead-letters.controller';
import { DeadLettersRepository } from './dead-letters.repository';

@Module({ controllers: [DeadLettersController], providers: [DeadLettersRepository] })
export class DeadLettersModule {}
