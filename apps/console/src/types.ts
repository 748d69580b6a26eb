/** The shapes of the API answers the console reads (see the controllers of chat-gateway and ledger-consumer). */
export interface UsageSums {
  events_count: number;
  messages_counted: number;
  adjustments_count: number;
  tokens_delta: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  total_tokens: number;
  cost_micros: number | null;
  unpriced_events: number;
}

export type GroupBy = 'model' | 'reason' | 'conversation' | 'user' | 'day' | 'source' | 'channel' | 'operation';

export const GROUP_FIELD: Record<GroupBy, string> = {
  model: 'model',
  reason: 'reason',
  conversation: 'conversation_id',
  user: 'user_id',
  day: 'day',
  source: 'source',
  channel: 'channel',
  operation: 'operation',
};

export type SummaryGroup = UsageSums & Record<string, unknown>;

export interface Summary {
  group_by: GroupBy;
  currency: string;
  groups: SummaryGroup[];
  totals: UsageSums;
}

export interface Bucket extends UsageSums {
  start: string;
  end: string;
  local_start: string;
}

export interface Timeline {
  interval: 'hour' | 'day' | 'week' | 'month';
  tz: string;
  from: string;
  to: string;
  currency: string;
  buckets: Bucket[];
  totals: UsageSums;
}

export interface Session {
  conversation_id: string;
  user_id: string;
  tokens_total: number;
  messages_counted: number;
  adjustments_total: number;
  cost_micros: number | null;
  unpriced_events: number;
  first_activity_at: string | null;
  last_activity_at: string | null;
}

export interface Sessions {
  list: Session[];
  limit: number;
  offset: number;
  total: number;
  has_more: boolean;
}

export interface Budget {
  user_id: string;
  period: 'day' | 'week' | 'month';
  tz: string;
  mode: 'hard' | 'soft';
  limit_tokens: number | null;
  limit_cost_micros: number | null;
  round_reservation_tokens: number;
  used_tokens: number;
  used_cost_micros: number;
  reserved_tokens: number;
  reserved_cost_micros: number;
  remaining_tokens: number | null;
  remaining_cost_micros: number | null;
  period_start: string;
  period_end: string;
  period_start_local: string;
  period_end_local: string;
  resets_at: string;
  updated_at: string;
}

export interface RelayLease {
  instance_id: string;
  pid: number;
  connected_at: string | null;
  shards: number[];
}

export interface HeldUser {
  user_id: string;
  blocking_id: number;
  blocking_event_id: string;
  blocking_status: 'dead' | 'pending';
  attempts: number;
  last_error: string | null;
  next_attempt_at: string;
  waiting: number;
}

export interface OutboxStats {
  pending: number;
  retrying: number;
  oldest_pending_age_seconds: number | null;
  dead: number;
  published_last_minute: number;
  relays: RelayLease[];
  unassigned_shards: number[];
  held_users_count: number;
  held_users: HeldUser[];
}

export interface OutboxRow {
  id: number;
  event_id: string;
  event_type: string;
  user_id: string;
  shard: number;
  status: 'pending' | 'published' | 'dead' | 'skipped';
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  published_at: string | null;
}

export interface OutboxPage {
  list: OutboxRow[];
  next_cursor: string | null;
}

export interface ReplayResult {
  replay_id: string | null;
  matched: number;
  dry_run: boolean;
}

export interface BytePreview {
  bytes: number | null;
  preview: string | null;
  truncated: boolean;
}

export interface DeadLetter {
  id: number;
  reason: string;
  error: string;
  event_id: string | null;
  event_type: string | null;
  kafka: { topic: string; partition: number; offset: string; timestamp: string | null };
  key: BytePreview;
  value: BytePreview;
  received_at: string;
  dlq_published_at: string | null;
}

export interface DeadLetters {
  totals: { total: number; dlq_unpublished: number; by_reason: Record<string, number> };
  list: DeadLetter[];
  next_cursor: string | null;
}

export interface SequenceGap {
  id: number;
  user_id: string;
  kind: 'gap' | 'reorder';
  expected_seq: number;
  seen_seq: number;
  event_id: string;
  kafka: { topic: string; partition: number; offset: string };
  detected_at: string;
}

export interface SequenceGaps {
  totals: { gaps: number; reorders: number; users: number };
  list: SequenceGap[];
  next_cursor: string | null;
}

export type TaskStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface Task {
  task_id: string;
  source: string;
  external_id: string;
  kind: string;
  user_id: string;
  conversation_id: string | null;
  client_id: string | null;
  total_items: number | null;
  processed_items: number;
  status: TaskStatus;
  progress: number;
  message: string | null;
  completed_by: string | null;
  created_at: string;
  started_at: string | null;
  last_update_at: string;
  completed_at: string | null;
  estimated_completion_at: string | null;
  stalled: boolean;
  error: string | null;
  model: string | null;
  tokens: number;
  cost_micros: number | null;
  unpriced_events: number;
}

export interface RunningTasks {
  total_tasks: number;
  by_status: Record<string, number>;
  by_kind: Record<string, number>;
  tasks: Task[];
  next_cursor: string | null;
}
