import { ApiProperty } from '@nestjs/swagger';
import type { RelayLease } from '../../outbox-locks';
import { OUTBOX_STATUSES, type OutboxStatus } from './list-outbox.query.dto';

const JSON_OBJECT = { type: 'object', additionalProperties: true } as const;

export class OutboxRowResponse {
  @ApiProperty({ type: 'integer', minimum: 1 })
  id!: number;

  @ApiProperty({ format: 'uuid' })
  event_id!: string;

  @ApiProperty({ example: 'chat.message.recorded' })
  event_type!: string;

  /** The partition key. */
  @ApiProperty({ description: 'the partition key' })
  user_id!: string;

  @ApiProperty({ type: 'integer', minimum: 0, maximum: 63 })
  shard!: number;

  @ApiProperty({ enum: OUTBOX_STATUSES, enumName: 'OutboxStatus' })
  status!: OutboxStatus;

  @ApiProperty({ type: 'integer', minimum: 0 })
  attempts!: number;

  @ApiProperty({ format: 'date-time' })
  next_attempt_at!: string;

  @ApiProperty({ type: String, nullable: true })
  last_error!: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  published_at!: string | null;

  @ApiProperty({ ...JSON_OBJECT, description: 'the Kafka headers the row is published with' })
  headers!: Record<string, unknown>;

  @ApiProperty({ ...JSON_OBJECT, description: 'the event envelope' })
  payload!: Record<string, unknown>;
}

export class OutboxPage {
  @ApiProperty({ type: [OutboxRowResponse] })
  list!: OutboxRowResponse[];

  @ApiProperty({ type: String, nullable: true, description: 'cursor of the next page; null on the last page' })
  next_cursor!: string | null;
}

export class RelayLeaseResponse implements RelayLease {
  /** Relay instance id (from the connection's application_name). */
  @ApiProperty({ description: "relay instance id (from the connection's application_name)" })
  instance_id!: string;

  /** PostgreSQL backend pid of the relay's worker connection. */
  @ApiProperty({ type: 'integer', description: "PostgreSQL backend pid of the relay's worker connection" })
  pid!: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  connected_at!: string | null;

  @ApiProperty({ type: 'integer', isArray: true, description: 'the shards it holds' })
  shards!: number[];
}

export class HeldUser {
  @ApiProperty()
  user_id!: string;

  /** The row that holds the others back. */
  @ApiProperty({ type: 'integer', description: 'the row that holds the others back' })
  blocking_id!: number;

  @ApiProperty({ format: 'uuid' })
  blocking_event_id!: string;

  @ApiProperty({ enum: ['dead', 'pending'] })
  blocking_status!: 'dead' | 'pending';

  @ApiProperty({ type: 'integer', minimum: 0 })
  attempts!: number;

  @ApiProperty({ type: String, nullable: true })
  last_error!: string | null;

  @ApiProperty({ format: 'date-time' })
  next_attempt_at!: string;

  /** Pending rows of this user behind it. */
  @ApiProperty({ type: 'integer', minimum: 0, description: 'pending rows of this user behind it' })
  waiting!: number;
}

export class OutboxStats {
  @ApiProperty({ type: 'integer', minimum: 0 })
  pending!: number;

  /** Pending rows that failed at least once (each holds back the later rows of its user). */
  @ApiProperty({ type: 'integer', minimum: 0, description: 'pending rows that failed at least once (each holds back the later rows of its user)' })
  retrying!: number;

  @ApiProperty({ type: Number, nullable: true, description: 'seconds, millisecond precision; null without pending rows' })
  oldest_pending_age_seconds!: number | null;

  @ApiProperty({ type: 'integer', minimum: 0 })
  dead!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  published_last_minute!: number;

  @ApiProperty({ type: [RelayLeaseResponse] })
  relays!: RelayLeaseResponse[];

  /** Shards no live relay holds (their rows wait). */
  @ApiProperty({ type: 'integer', isArray: true, description: 'shards no live relay holds (their rows wait)' })
  unassigned_shards!: number[];

  /** Users whose later events wait behind a dead or retrying row of theirs. */
  @ApiProperty({ type: 'integer', minimum: 0, description: 'users whose later events wait behind a dead or retrying row of theirs' })
  held_users_count!: number;

  /** The first 50 of them, oldest blocking row first. */
  @ApiProperty({ type: [HeldUser], description: 'the first 50 of them, oldest blocking row first' })
  held_users!: HeldUser[];
}

export class SkipResult {
  @ApiProperty({ format: 'uuid', description: 'id of the audit record in outbox.skips' })
  skip_id!: string;

  @ApiProperty({ type: OutboxRowResponse, description: 'the row, now skipped' })
  row!: OutboxRowResponse;
}

export class ReplayResult {
  /** Null for a dry run (nothing recorded). */
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'id of the audit record in outbox.replays; null for a dry run (nothing recorded)' })
  replay_id!: string | null;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'rows marked for publishing again (dry run: that would be)' })
  matched!: number;

  @ApiProperty()
  dry_run!: boolean;
}
