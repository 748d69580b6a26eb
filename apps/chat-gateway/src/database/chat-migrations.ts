import { CreateChatSchema1763890000000 } from './migrations/1763890000000-create-chat-schema';
import { ConversationsByCreation1764700000000 } from './migrations/1764700000000-conversations-by-creation';
import { MessagesCacheWriteAndDimensions1764900000000 } from './migrations/1764900000000-messages-cache-write-and-dimensions';
import { Budgets1765000000001 } from './migrations/1765000000001-budgets';
import { UsageRecords1765100000000 } from './migrations/1765100000000-usage-records';
import { Tasks1765200000001 } from './migrations/1765200000001-tasks';
import { Tenants1766000000001 } from './migrations/1766000000001-tenants';
import { ErasuresAndRetention1766100000002 } from './migrations/1766100000002-erasures-and-retention';

/** Ordered list of the chat schema's migrations (explicit, so bundling and tests need no globbing). */
export const CHAT_MIGRATIONS = [
  CreateChatSchema1763890000000,
  ConversationsByCreation1764700000000,
  MessagesCacheWriteAndDimensions1764900000000,
  Budgets1765000000001,
  UsageRecords1765100000000,
  Tasks1765200000001,
  Tenants1766000000001,
  ErasuresAndRetention1766100000002,
];
export const CHAT_SCHEMA = 'chat';
