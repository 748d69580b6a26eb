import { Transform } from 'class-transformer';
import { Matches, registerDecorator, ValidationOptions } from 'class-validator';
import { rfc3339Problem, TENANT_ID, TENANT_ID_PROBLEM } from '@chat-ledger/contracts';
import { USER_ID_PATTERN } from '@chat-ledger/platform';

/** Query strings arrive as strings; only canonical integers become numbers, anything else fails validation. */
export const QueryInt = () => Transform(({ value }) => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value));

/** RFC 3339 date-time with a zone (Z or ±hh:mm) naming a real instant. */
export function IsRfc3339(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isRfc3339',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: 'must be an RFC 3339 date-time with a zone, e.g. 2026-03-29T00:00:00Z or 2026-03-29T00:00:00+02:00', ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && rfc3339Problem(value) === undefined },
    });
  };
}

/** Organisation, project and API key ids: the form of the contracts' tenant fields. */
export const IsTenantIdParam = () => Matches(TENANT_ID, { message: TENANT_ID_PROBLEM });

export const IsUserId = () => Matches(USER_ID_PATTERN, { message: 'must be 1 to 64 printable ASCII characters without spaces' });

export { IsTimeZoneName } from '@chat-ledger/platform';
