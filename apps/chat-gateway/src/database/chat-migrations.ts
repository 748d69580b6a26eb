import { CreateChatSchema1763890000000 } from './migrations/1763890000000-create-chat-schema';
import { OutboxRelay1764000000000 } from './migrations/1764000000000-outbox-relay';

/** Ordered list of the chat schema's migrations (explicit, so bundling and tests need no globbing). */
export const CHAT_MIGRATIONS = [CreateChatSchema1763890000000, OutboxRelay1764000000000];
export const CHAT_SCHEMA = 'chat';
