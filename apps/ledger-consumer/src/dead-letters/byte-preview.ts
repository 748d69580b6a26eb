/** The start of a raw record as text an operator can read and nothing can misread: see bytePreview. */
export interface BytePreview {
  /** Length of the whole value in bytes (null: the record had no value / key). */
  bytes: number | null;
  /** The first `max` bytes, escaped; null when there are no bytes. */
  preview: string | null;
  /** True when the value is longer than the preview shows. */
  truncated: boolean;
}

const ESCAPES: Record<number, string> = { 0x09: '\\t', 0x0a: '\\n', 0x0d: '\\r', 0x5c: '\\\\' };

/**
 * Code points shown as \u{…} even inside valid UTF-8: controls (C0, DEL, C1), bidirectional overrides and
 * isolates (which reorder what is shown around them), zero-width and invisible format characters, line and
 * paragraph separators, the BOM and non-characters.
 */
function isHidden(cp: number): boolean {
  return (
    cp < 0x20 ||
    (cp >= 0x7f && cp <= 0x9f) ||
    cp === 0xad ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x2028 && cp <= 0x202e) ||
    (cp >= 0x2060 && cp <= 0x206f) ||
    cp === 0xfeff ||
    (cp >= 0xfff9 && cp <= 0xfffb) ||
    (cp >= 0xfdd0 && cp <= 0xfdef) ||
    (cp & 0xfffe) === 0xfffe ||
    (cp >= 0xe0000 && cp <= 0xe007f)
  );
}

/** Length of the UTF-8 sequence starting at i and its code point, or undefined when the bytes there are not one. */
function utf8At(bytes: Uint8Array, i: number, end: number): { length: number; cp: number } | undefined {
  const b0 = bytes[i]!;
  const [length, min, initial] =
    b0 >= 0xf0 && b0 <= 0xf4 ? [4, 0x10000, b0 & 0x07] : b0 >= 0xe0 ? [3, 0x800, b0 & 0x0f] : b0 >= 0xc2 && b0 < 0xe0 ? [2, 0x80, b0 & 0x1f] : [0, 0, 0];
  if (length === 0 || i + length > end) return undefined;
  let cp = initial;
  for (let k = 1; k < length; k++) {
    const b = bytes[i + k]!;
    if ((b & 0xc0) !== 0x80) return undefined;
    cp = (cp << 6) | (b & 0x3f);
  }
  // Overlong forms, values past U+10FFFF and UTF-16 surrogates are not UTF-8.
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
  return { length, cp };
}

/**
 * A preview of raw bytes: printable ASCII and printable UTF-8 as they are; tab, newline, carriage return and the
 * backslash as \t \n \r \\; every other byte of invalid UTF-8 as \xNN; hidden code points (see isHidden) as
 * \u{NNNN}. The result is plain text (a page shows it as text, never as markup), and the same bytes always give
 * the same preview. A multi-byte character cut by the end of the preview is shown as its bytes.
 */
export function bytePreview(value: Buffer | Uint8Array | null | undefined, max = 512): BytePreview {
  if (value === null || value === undefined) return { bytes: null, preview: null, truncated: false };
  const end = Math.min(value.length, max);
  let out = '';
  for (let i = 0; i < end;) {
    const b = value[i]!;
    if (ESCAPES[b]) {
      out += ESCAPES[b];
      i += 1;
    } else if (b >= 0x20 && b < 0x7f) {
      out += String.fromCharCode(b);
      i += 1;
    } else if (b < 0x80) {
      out += `\\x${b.toString(16).padStart(2, '0')}`;
      i += 1;
    } else {
      const seq = utf8At(value, i, end);
      if (!seq) {
        out += `\\x${b.toString(16).padStart(2, '0')}`;
        i += 1;
      } else {
        out += isHidden(seq.cp) ? `\\u{${seq.cp.toString(16).padStart(4, '0')}}` : String.fromCodePoint(seq.cp);
        i += seq.length;
      }
    }
  }
  return { bytes: value.length, preview: out, truncated: value.length > max };
}
