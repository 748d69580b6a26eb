import type { MessageRole, TokenUsage } from '@chat-ledger/contracts';

export interface RecordedMessageResponse {
  message_id: string;
  conversation_id: string;
  role: MessageRole;
  tokens_consumed: number;
  created_at: string;
}

export interface HistoryMessageResponse {
  message_id: string;
  conversation_id: string;
  role: MessageRole;
  content: string;
  model: string | null;
  usage: TokenUsage;
  /**
   * The message's tokens as counted by the ledger (its usage plus adjustments attached to it); until the
   * ledger has applied the message's event, its recorded usage.total_tokens.
   */
  tokens_consumed: number;
  /** Whether tokens_consumed comes from the ledger yet. */
  ledger_applied: boolean;
  created_at: string;
}
