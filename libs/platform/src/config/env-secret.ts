/**
 * Keys that hold a secret (a signing key, a password, a connection string with credentials, a private key). Each
 * one may also be given as `<KEY>_FILE`, the path of a file holding the value (a Kubernetes or Docker secret
 * mounted as a file), so the secret never sits in the process environment. loadConfig reads those files.
 */
const SECRET_KEYS = new WeakMap<object, readonly string[]>();

/** Marks an env key as a secret: loadConfig then also reads it from `<KEY>_FILE`. */
export const EnvSecret =
  (): PropertyDecorator =>
  (target: object, key: string | symbol): void => {
    SECRET_KEYS.set(target, [...(SECRET_KEYS.get(target) ?? []), String(key)]);
  };

/** The secret keys of a schema, its base classes' (the mixins') included. */
export function secretKeysOf(schema: new () => object): string[] {
  const keys = new Set<string>();
  for (let proto: object | null = schema.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of SECRET_KEYS.get(proto) ?? []) keys.add(key);
  }
  return [...keys];
}
