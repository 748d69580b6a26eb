import { bytePreview } from './byte-preview';

describe('bytePreview (dead letters as an operator reads them)', () => {
  const of = (bytes: number[] | string, max?: number) => bytePreview(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes), max);

  it('keeps printable ASCII and UTF-8 as they are, markup included (it is text, not HTML)', () => {
    expect(of('{"type":"chat.message.recorded"}')).toEqual({ bytes: 32, preview: '{"type":"chat.message.recorded"}', truncated: false });
    expect(of('<script>alert(1)</script> Grüße 東京 🙂').preview).toBe('<script>alert(1)</script> Grüße 東京 🙂');
  });

  it('escapes whitespace controls and the backslash, so the escape itself is unambiguous', () => {
    expect(of('a\tb\nc\rd\\e').preview).toBe('a\\tb\\nc\\rd\\\\e');
  });

  it('shows NUL, other controls and invalid UTF-8 as \\xNN', () => {
    expect(of([0x00, 0x41, 0x1b, 0x7f, 0xff, 0xc3]).preview).toBe('\\x00A\\x1b\\x7f\\xff\\xc3');
    // Overlong encoding of "/" and a surrogate encoded in UTF-8: not valid UTF-8, byte by byte.
    expect(of([0xc0, 0xaf, 0xed, 0xa0, 0x80]).preview).toBe('\\xc0\\xaf\\xed\\xa0\\x80');
  });

  it('names invisible and reordering code points instead of letting them act', () => {
    expect(of('a\u202Eevil\u2066b\u200Bc\uFEFF\u0085').preview).toBe('a\\u{202e}evil\\u{2066}b\\u{200b}c\\u{feff}\\u{0085}');
  });

  it('cuts at max bytes, says so, and shows a character cut in half as bytes', () => {
    expect(of('abcdef', 4)).toEqual({ bytes: 6, preview: 'abcd', truncated: true });
    expect(of('ab€', 4)).toEqual({ bytes: 5, preview: 'ab\\xe2\\x82', truncated: true });
  });

  it('tells an absent value from an empty one', () => {
    expect(bytePreview(null)).toEqual({ bytes: null, preview: null, truncated: false });
    expect(of([])).toEqual({ bytes: 0, preview: '', truncated: false });
  });
});
