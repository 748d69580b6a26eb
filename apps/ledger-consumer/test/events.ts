import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import {
  buildEnvelope,
  chatMessageRecordedV1,
  chatMessageRecordedV2,
  chatMessageRecordedV3,
  ChatMessageRecordedEvent,
  ChatMessageRecordedV2Event,
  ChatMessageRecordedV3Event,
  TokenUsageV2,
  tokensAdjustedV2,
  TokensAdjustedV2Event,
  EVENT_CONTENT_TYPE,
  EventHeaders,
  TokenUsage,
  TokensAdjustedEvent,
  tokensAdjustedV1,
  usageDifference,
  usageUpsertedV1,
  UsageUpsertedV1Event,
  ZERO_USAGE,
} from '@chat-ledger/contracts';
import type { ConsumedRecord } from '../src/ingest/consumed-record';

export type TokenEvent = ChatMessageRecordedEvent | TokensAdjustedEvent | ChatMessageRecordedV2Event | TokensAdjustedV2Event | ChatMessageRecordedV3Event;
/** Every event a test may apply (usage records have their own expectations, not expected-totals.ts). */
export type AnyTokenEvent = TokenEvent | UsageUpsertedV1Event;

/** A chat.message.recorded v1 envelope, valid by default. */
export function aMessageEvent(o: {
  userId: string;
  conversationId?: string;
  messageId?: string;
  role?: 'user' | 'assistant';
  model?: string | null;
  usage?: Partial<TokenUsage>;
  at?: string;
}): ChatMessageRecordedEvent {
  const prompt = o.usage?.prompt_tokens ?? 100;
  const completion = o.usage?.completion_tokens ?? 50;
  const usage: TokenUsage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    cached_tokens: o.usage?.cached_tokens ?? 0,
    reasoning_tokens: o.usage?.reasoning_tokens ?? 0,
    total_tokens: o.usage?.total_tokens ?? prompt + completion,
  };
  return buildEnvelope(chatMessageRecordedV1, {
    source: 'chat-gateway',
    occurredAt: o.at ?? '2026-11-23T10:00:00.000000Z',
    data: {
      user_id: o.userId,
      conversation_id: o.conversationId ?? randomUUID(),
      message_id: o.messageId ?? randomUUID(),
      role: o.role ?? 'assistant',
      model: o.model === undefined ? 'gpt-4o' : o.model,
      usage,
      tokens_delta: usage.total_tokens,
    },
  });
}

/** A ledger.tokens.adjusted v1 envelope, valid by default. */
export function anAdjustmentEvent(o: {
  userId: string;
  delta?: number;
  reason?: string;
  conversationId?: string | null;
  messageId?: string | null;
  at?: string;
  recordedAt?: string;
}): TokensAdjustedEvent {
  return buildEnvelope(tokensAdjustedV1, {
    source: 'billing',
    occurredAt: o.recordedAt ?? '2026-11-24T00:00:00.000000Z',
    data: {
      user_id: o.userId,
      conversation_id: o.conversationId ?? null,
      message_id: o.messageId ?? null,
      tokens_delta: o.delta ?? 42,
      reason: o.reason ?? 'title_generation',
      triggered_at: o.at ?? '2026-11-23T10:30:00.000000Z',
    },
  });
}

/** A chat.message.recorded v2 envelope: cache write tokens, channel and operation. */
export function aMessageEventV2(o: {
  userId: string;
  conversationId?: string;
  messageId?: string;
  role?: 'user' | 'assistant';
  model?: string | null;
  usage?: Partial<TokenUsageV2>;
  channel?: string | null;
  operation?: string | null;
  at?: string;
}): ChatMessageRecordedV2Event {
  const prompt = o.usage?.prompt_tokens ?? 100;
  const completion = o.usage?.completion_tokens ?? 50;
  const usage: TokenUsageV2 = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    cached_tokens: o.usage?.cached_tokens ?? 0,
    cache_write_tokens: o.usage?.cache_write_tokens ?? 0,
    reasoning_tokens: o.usage?.reasoning_tokens ?? 0,
    total_tokens: prompt + completion,
  };
  return buildEnvelope(chatMessageRecordedV2, {
    source: 'chat-gateway',
    occurredAt: o.at ?? '2026-11-23T10:00:00.000000Z',
    data: {
      user_id: o.userId,
      conversation_id: o.conversationId ?? randomUUID(),
      message_id: o.messageId ?? randomUUID(),
      role: o.role ?? 'assistant',
      model: o.model === undefined ? 'gpt-4o' : o.model,
      usage,
      tokens_delta: usage.total_tokens,
      channel: o.channel ?? null,
      operation: o.operation ?? null,
    },
  });
}

/** A chat.message.recorded v3 envelope: v2 with the tenant (organisation, project, API key). */
export function aMessageEventV3(
  o: Parameters<typeof aMessageEventV2>[0] & { orgId?: string | null; projectId?: string | null; apiKeyId?: string | null },
): ChatMessageRecordedV3Event {
  const v2 = aMessageEventV2(o);
  return buildEnvelope(chatMessageRecordedV3, {
    source: v2.source,
    occurredAt: v2.occurred_at,
    data: { ...v2.data, org_id: o.orgId ?? null, project_id: o.projectId ?? null, api_key_id: o.apiKeyId ?? null },
  });
}

/** A ledger.tokens.adjusted v2 envelope: the model the tokens were spent on, channel and operation. */
export function anAdjustmentEventV2(o: {
  userId: string;
  delta?: number;
  reason?: string;
  model?: string | null;
  conversationId?: string | null;
  channel?: string | null;
  operation?: string | null;
  at?: string;
  source?: string;
}): TokensAdjustedV2Event {
  return buildEnvelope(tokensAdjustedV2, {
    source: o.source ?? 'title-service',
    occurredAt: '2026-11-30T00:00:00.000000Z',
    data: {
      user_id: o.userId,
      conversation_id: o.conversationId ?? null,
      message_id: null,
      tokens_delta: o.delta ?? 42,
      reason: o.reason ?? 'title_generation',
      triggered_at: o.at ?? '2026-11-23T10:30:00.000000Z',
      model: o.model ?? null,
      channel: o.channel ?? null,
      operation: o.operation ?? null,
    },
  });
}

/** Full token usage from the parts a test names (total = prompt + completion). */
export function usageOf(u: Partial<TokenUsageV2> & { prompt_tokens: number; completion_tokens: number }): TokenUsageV2 {
  return { ...ZERO_USAGE, ...u, total_tokens: u.prompt_tokens + u.completion_tokens };
}

/**
 * A ledger.usage.upserted v1 envelope as the gateway writes it for one accepted revision: its full usage and
 * the delta to `previous` (the revision counted before it, with its usage), or none for the first.
 */
export function aUsageRecordEvent(o: {
  userId: string;
  source?: string;
  externalId: string;
  revision: number;
  usage: TokenUsageV2;
  previous?: { revision: number; usage: TokenUsageV2 };
  conversationId?: string | null;
  model?: string | null;
  channel?: string | null;
  operation?: string | null;
  at?: string;
}): UsageUpsertedV1Event {
  return buildEnvelope(usageUpsertedV1, {
    source: 'chat-gateway',
    occurredAt: o.at ?? '2026-11-20T10:00:00.000000Z',
    data: {
      user_id: o.userId,
      conversation_id: o.conversationId ?? null,
      source: o.source ?? 'agents',
      external_id: o.externalId,
      revision: o.revision,
      previous_revision: o.previous?.revision ?? null,
      model: o.model === undefined ? 'gpt-4o' : o.model,
      channel: o.channel ?? null,
      operation: o.operation ?? null,
      usage: o.usage,
      delta: usageDifference(o.usage, o.previous?.usage ?? ZERO_USAGE),
    },
  });
}

export const encode = (event: unknown) => Buffer.from(JSON.stringify(event));

/** Records as if consumed from topic/partition starting at `firstOffset` (for applying without Kafka). */
export function recordsOf(
  events: Array<AnyTokenEvent | Buffer>,
  position: { topic?: string; partition?: number; firstOffset?: number } = {},
): ConsumedRecord[] {
  return events.map((e, i) => ({
    topic: position.topic ?? 'token-events',
    partition: position.partition ?? 0,
    offset: String((position.firstOffset ?? 0) + i),
    key: Buffer.isBuffer(e) ? null : Buffer.from(e.data.user_id),
    value: Buffer.isBuffer(e) ? e : encode(e),
    headers: {},
    timestamp: String(Date.now()),
  }));
}

export class TestProducer {
  private constructor(private readonly producer: Producer) {}

  static async connect(brokers: string): Promise<TestProducer> {
    const kafka = new Kafka({ clientId: 'ledger-test-producer', brokers: [brokers], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    return new TestProducer(producer);
  }

  /** Publishes envelopes keyed by user id, with the headers the outbox relay sets (acks = all). */
  async send(topic: string, events: TokenEvent[]) {
    return this.producer.send({
      topic,
      acks: -1,
      messages: events.map((e) => ({
        key: e.data.user_id,
        value: encode(e),
        headers: { [EventHeaders.eventId]: e.id, [EventHeaders.eventType]: e.type, [EventHeaders.contentType]: EVENT_CONTENT_TYPE },
      })),
    });
  }

  async sendRaw(
    topic: string,
    messages: Array<{ key?: string | Buffer | null; value: Buffer | string | null; headers?: Record<string, string | Buffer>; partition?: number }>,
  ) {
    return this.producer.send({ topic, acks: -1, messages });
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}
