import { IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { EnvInt } from '@chat-ledger/platform';

/** Environment of the one-machine launcher (`npm start`). Apps validate their own keys on top. */
export class StackConfig {
  @IsString()
  DATA_DIR = '.data';

  @IsOptional() @IsString()
  DATABASE_URL?: string;

  @EnvInt() @IsInt() @Min(1) @Max(65535)
  EMBEDDED_PG_PORT = 54320;

  @IsOptional() @IsString() @MinLength(32)
  JWT_SECRET?: string;

  @EnvInt() @IsInt() @Min(0) @Max(65535)
  PORT = 3000;

  @EnvInt() @IsInt() @Min(0) @Max(65535)
  LEDGER_PORT = 3001;

  @IsOptional() @IsString()
  KAFKA_BROKERS?: string;

  @EnvInt() @IsInt() @Min(1) @Max(65535)
  EMBEDDED_KAFKA_PORT = 9092;

  @IsString()
  KAFKA_TOPIC = 'token-events';

  @EnvInt() @IsInt() @Min(1) @Max(1000)
  KAFKA_TOPIC_PARTITIONS = 16;

  @IsString()
  DEMO_USER = 'demo';
}
