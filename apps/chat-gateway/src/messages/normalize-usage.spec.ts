import { normalizeUsage } from './record-message.use-case';

describe('normalizeUsage', () => {
  it('counts a message without usage as 0', () => {
    expect(normalizeUsage(undefined)).toEqual({
      prompt_tokens: 0,
      completion_tokens: 0,
      cached_tokens: 0,
      cache_write_tokens: 0,
      reasoning_tokens: 0,
      total_tokens: 0,
    });
  });

  it('defaults total_tokens to prompt + completion and optional counts to 0', () => {
    expect(normalizeUsage({ prompt_tokens: 120, completion_tokens: 80 })).toEqual({
      prompt_tokens: 120,
      completion_tokens: 80,
      cached_tokens: 0,
      cache_write_tokens: 0,
      reasoning_tokens: 0,
      total_tokens: 200,
    });
  });

  it('accepts a matching total and rejects a disagreeing one', () => {
    expect(normalizeUsage({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 }).total_tokens).toBe(3);
    expect(() => normalizeUsage({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 4 })).toThrow('usage.total_tokens');
  });

  it('refuses parts that do not fit in their whole: cached + cache write within prompt, reasoning within completion', () => {
    expect(normalizeUsage({ prompt_tokens: 100, completion_tokens: 50, cached_tokens: 60, cache_write_tokens: 40, reasoning_tokens: 50 })).toMatchObject({
      cache_write_tokens: 40,
    });
    expect(() => normalizeUsage({ prompt_tokens: 100, completion_tokens: 50, cached_tokens: 60, cache_write_tokens: 41 })).toThrow(
      'cached_tokens + cache_write_tokens must not exceed prompt_tokens',
    );
    expect(() => normalizeUsage({ prompt_tokens: 100, completion_tokens: 50, reasoning_tokens: 51 })).toThrow('must not exceed completion_tokens');
  });
});
