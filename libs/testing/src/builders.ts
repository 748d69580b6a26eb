import { randomUUID } from 'node:crypto';

/** Test data builders: valid by default, each test overrides only what it is about. */
export function aUserId(prefix = 'user'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function aUserMessage(overrides: Record<string, unknown> = {}) {
  return { role: 'user' as const, content: 'What is the capital of France?', ...overrides };
}

export function anAssistantMessage(
  usage: { prompt_tokens: number; completion_tokens: number; [k: string]: number } = { prompt_tokens: 120, completion_tokens: 80 },
  overrides: Record<string, unknown> = {},
) {
  return { role: 'assistant' as const, content: 'Paris.', model: 'gpt-4o', usage, ...overrides };
}

export function anAdjustment(userId: string, overrides: Record<string, unknown> = {}) {
  return {
    user_id: userId,
    tokens_delta: 42,
    reason: 'title_generation',
    triggered_at: new Date().toISOString(),
    ...overrides,
  };
}
