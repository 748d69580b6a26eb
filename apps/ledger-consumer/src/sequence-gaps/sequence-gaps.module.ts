import { Module } from '@nestjs/common';
import { SequenceGapsController } from './sequence-gaps.controller';
import { SequenceGapsRepository } from './sequence-gaps.repository';

@Module({ controllers: [SequenceGapsController], providers: [SequenceGapsRepository] })
export class SequenceGapsModule {}
