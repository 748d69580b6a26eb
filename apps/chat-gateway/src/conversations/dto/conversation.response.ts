export interface ConversationResponse {
  conversation_id: string;
  title: string | null;
  has_title: boolean;
  model: string | null;
  system_prompt: string | null;
  message_count: number;
  last_message_at: string | null;
  status: 'active' | 'archived' | 'deleted';
  created_at: string;
  updated_at: string;
  /** Tokens the ledger has counted for this conversation (messages and adjustments). */
  tokens_total: number;
}

export interface ConversationPage {
  list: ConversationResponse[];
  page: number;
  page_size: number;
  total: number;
  has_more: boolean;
  /** Keyset cursor of the next page (pass it as `cursor`), null on the last page. */
  next_cursor: string | null;
}
