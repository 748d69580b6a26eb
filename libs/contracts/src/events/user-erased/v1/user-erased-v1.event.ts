import { IsISO8601, IsString, IsUUID, Length } from 'class-validator';
import { EventEnvelope } from '../../../envelope/event-envelope';
import { defineContract } from '../../../registry/event-contract';
import { USER_ID, USER_ID_PROBLEM } from '../../../text/safe-text';
import { rfc3339Problem } from '../../../time/rfc3339';

export const USER_ERASED = 'user.erased' as const;

/**
 * A user's data was erased (POST /v1/admin/users/:user_id/erase). Written by the gateway in the erasing
 * transaction, after every earlier event of the user in their sequence, so a consumer applies it once it has
 * applied everything the user did before. It counts no tokens. A consumer that keeps per-user data removes or
 * pseudonymises it and keeps no record that names the user; applying it again (a replay) is harmless.
 * `erasure_id` is the gateway's audit id of the erasure (random, names nobody), so a consumer can say that it
 * carried an erasure out without saying whose.
 */
export interface UserErasedV1 {
  user_id: string;
  erasure_id: string;
  requested_at: string;
}

export type UserErasedV1Event = EventEnvelope<typeof USER_ERASED, UserErasedV1>;

export class UserErasedV1Dto implements UserErasedV1 {
  @IsString() @Length(1, 64) user_id!: string;
  @IsUUID('all') erasure_id!: string;
  @IsISO8601({ strict: true, strictSeparator: true }) requested_at!: string;
}

export const userErasedV1 = defineContract<typeof USER_ERASED, UserErasedV1>({
  type: USER_ERASED,
  version: 1,
  schema: UserErasedV1Dto,
  check(data) {
    const problems: string[] = [];
    if (!USER_ID.test(data.user_id)) problems.push(`data.user_id: ${USER_ID_PROBLEM}`);
    const requested = rfc3339Problem(data.requested_at);
    if (requested) problems.push(`data.requested_at: ${requested}`);
    return problems;
  },
  normalise(data) {
    return { user_id: data.user_id, erasure_id: data.erasure_id.toLowerCase(), requested_at: data.requested_at.toUpperCase() };
  },
});
