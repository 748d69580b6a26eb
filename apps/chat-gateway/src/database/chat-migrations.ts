import { CreateChatSchema1763890000000 } from './migrations/1763890000000-create-chat-schema';

/** Ordered list of the chat schema's migrations (explicit, so bundling and tests need no globbing). */
export const CHAT_MIGRATIONS = [CreateChatSchema1763890000000];
export const CHAT_SCHEMA = 'chat';
