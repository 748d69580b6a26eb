import type { RelayLease } from '../../outbox-locks';
import type { OutboxStatus } from './list-outbox.query.dto';

export interface OutboxRowResponse {
  id: number;
  event_id: string;
  event_type: string;
  /** The partition key. */
  user_id: string;
  shard: number;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  published_at: string | null;
  headers: Record<string, unknown>;
  payload: Record<string, unknown>;
}

export interface OutboxPage {
  list: OutboxRowResponse[];
  next_cursor: string | null;
}

export interface OutboxStats {
  pending: number;
  /** Pending rows that failed at least once (each holds back the later rows of its user). */
  retrying: number;
  oldest_pending_age_seconds: number | null;
  dead: number;
  published_last_minute: number;
  relays: RelayLease[];
  /** Shards no live relay holds (their rows wait). */
  unassigned_shards: number[];
  /** Users whose later events wait behind a dead or retrying row of theirs. */
  held_users_count: number;
  /** The first 50 of them, oldest blocking row first. */
  held_users: HeldUser[];
}

export interface HeldUser {
  user_id: string;
  /** The row that holds the others back. */
  blocking_id: number;
  blocking_event_id: string;
  blocking_status: 'dead' | 'pending';
  attempts: number;
  last_error: string | null;
  next_attempt_at: string;
  /** Pending rows of this user behind it. */
  waiting: number;
}

export interface SkipResult {
  skip_id: string;
  row: OutboxRowResponse;
}

export interface ReplayResult {
  /** Null for a dry run (nothing recorded). */
  replay_id: string | null;
  matched: number;
  dry_run: boolean;
}
