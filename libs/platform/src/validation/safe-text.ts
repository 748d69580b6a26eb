import { Matches, registerDecorator, ValidationOptions } from 'class-validator';

/**
 * Text PostgreSQL can store and every client can render: a string, well-formed Unicode (no lone
 * surrogates from \ud800-style escapes) and free of NUL, which a `text` column rejects.
 */
export function IsSafeText(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isSafeText',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: 'must be well-formed text without NUL characters', ...options },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && (value as string & { isWellFormed(): boolean }).isWellFormed() && !value.includes('\u0000'),
      },
    });
  };
}

/** Max length in UTF-8 bytes (what storage and limits are about), not UTF-16 code units. */
export function MaxUtf8Bytes(max: number, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'maxUtf8Bytes',
      target: target.constructor,
      propertyName: String(propertyName),
      constraints: [max],
      options: { message: `must be at most ${max} bytes of UTF-8`, ...options },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && Buffer.byteLength(value, 'utf8') <= max,
      },
    });
  };
}

/** IANA zone names by shape; whether PostgreSQL knows the zone is checked where it is used (400 when not). */
export const IsTimeZoneName = (options?: ValidationOptions): PropertyDecorator =>
  Matches(/^[A-Za-z0-9_+\-/]{1,64}$/, { message: 'must be an IANA time zone name such as Europe/Berlin', ...options });
