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

/** One revision of a usage record (PUT /v1/usage-records/:source/:external_id), revision 1 by default. */
export function aUsageRecord(userId: string, overrides: Record<string, unknown> = {}) {
  return {
    user_id: userId,
    model: 'gpt-4o',
    operation: 'agent_step',
    usage: { prompt_tokens: 1000, completion_tokens: 200, cached_tokens: 100 },
    occurred_at: '2026-11-20T10:00:00.123456+01:00',
    revision: 1,
    ...overrides,
  };
}
