import { Module } from '@nestjs/common';
import { ConversationsModule } from '../conversations/conversations.module';
import { ChatRetentionRepository } from './chat-retention.repository';
import { ChatRetentionService } from './chat-retention.service';

@Module({ imports: [ConversationsModule], providers: [ChatRetentionRepository, ChatRetentionService], exports: [ChatRetentionService] })
export class RetentionModule {}
