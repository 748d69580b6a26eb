const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const MAX_ERROR_LENGTH = 1000;
/** Same form as JWT subjects (libs/platform USER_ID_PATTERN): printable ASCII, no spaces, 1..64. */
export const USER_ID = /^[\x21-\x7e]{1,64}$/;
export const USER_ID_PROBLEM = 'must be 1 to 64 printable ASCII characters without spaces';

/** Text PostgreSQL can store as is: no NUL character, no lone surrogate. */
export function isSafeText(value: string): boolean {
  return !value.includes('\u0000') && !LONE_SURROGATE.test(value);
}

/** Error texts may quote input (JSON.parse does): make them storable in a text column. */
export function toSafeText(value: string, maxLength = MAX_ERROR_LENGTH): string {
  const cut = value.length > maxLength ? `${value.slice(0, maxLength - 1)}…` : value;
  // Replacing after cutting also repairs a surrogate pair the cut may have split.
  // eslint-disable-next-line no-control-regex
  return cut.replace(/\u0000/g, '\ufffd').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\ufffd');
}
