import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { buildDataSourceOptions } from '@chat-ledger/database';
import { AuthGuard, JWT_SECRET } from '@chat-ledger/platform';
import { GatewayConfigModule } from './config/gateway-config.module';
import { GatewayConfig } from './config/gateway.config';
import { ConversationsModule } from './conversations/conversations.module';
import { CHAT_MIGRATIONS, CHAT_SCHEMA } from './database/chat-migrations';
import { HealthModule } from './health/health.module';
import { MessagesModule } from './messages/messages.module';
import { TokenAdjustmentsModule } from './token-adjustments/token-adjustments.module';

@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        GatewayConfigModule.forRoot(config),
        TypeOrmModule.forRoot(
          buildDataSourceOptions({
            url: config.DATABASE_URL,
            schema: CHAT_SCHEMA,
            migrations: CHAT_MIGRATIONS,
            poolSize: config.DB_POOL_SIZE,
            applicationName: 'chat-gateway',
          }),
        ),
        HealthModule,
        ConversationsModule,
        MessagesModule,
        TokenAdjustmentsModule,
      ],
      providers: [
        { provide: JWT_SECRET, useValue: config.JWT_SECRET },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    };
  }
}
