import { IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';

/** The JSON value of every message on the token-events topic (DESIGN.md: Events). */
export interface EventEnvelope<TType extends string = string, TData = unknown> {
  id: string;
  type: TType;
  version: number;
  source: string;
  /** RFC 3339, UTC, microseconds. */
  occurred_at: string;
  /**
   * The producer's sequence number for this user (1, 2, 3, … per partition key), so a consumer can see a
   * gap or a reorder. The gateway sets it; producers that do not number their events leave it out.
   */
  user_seq?: number;
  data: TData;
}

/** Validates the envelope's outer shape; `data` is validated per type and version. */
export class EventEnvelopeDto {
  @IsUUID('all')
  id!: string;

  @IsString()
  @Length(1, 100)
  type!: string;

  @IsInt()
  @Min(1)
  version!: number;

  @IsString()
  @Length(1, 100)
  source!: string;

  @IsISO8601({ strict: true, strictSeparator: true })
  occurred_at!: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  user_seq?: number;

  @IsObject()
  data!: Record<string, unknown>;
}

export const KNOWN_ROLES = ['user', 'assistant', 'system', 'tool'] as const;
export type MessageRole = (typeof KNOWN_ROLES)[number];
export const IsMessageRole = () => IsIn(KNOWN_ROLES as unknown as string[]);
