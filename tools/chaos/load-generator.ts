import { randomUUID } from 'node:crypto';
import { SeededRandom } from '@chat-ledger/testing';

export interface AckedMessage {
  userId: string;
  conversationId: string;
  messageId: string;
  tokens: number;
}

export interface AckedAdjustment {
  eventId: string;
  userId: string;
  conversationId: string | null;
  messageId: string | null;
  delta: number;
}

export interface LoadStats {
  requestsSent: number;
  acknowledged: number;
  retriedAfterError: number;
  deliberateDuplicates: number;
  replayedResponses: number;
  gaveUp: number;
  rateLimited: number;
}

export interface LoadOptions {
  baseUrl: string;
  tokenFor: (userId: string, scopes?: string[]) => Promise<string>;
  seed: number;
  users: number;
  messages: number;
  concurrency: number;
  /** Stop early at this time even if fewer messages were sent. */
  deadline: number;
}

/** The fields the generator reads from a 2xx answer: a recorded message, or a recorded token adjustment. */
interface MessageAck {
  message_id: string;
  conversation_id: string;
  tokens_consumed: number;
}
interface AdjustmentAck {
  event_id: string;
}

interface UserState {
  id: string;
  /** Still being signed while the generator is built; awaited before each send. */
  token: Promise<string>;
  conversations: string[];
  messages: Array<{ id: string; conversationId: string }>;
}

/**
 * Many users at once, the way careful clients behave: every write carries an Idempotency-Key and is
 * retried with the same key after a 5xx or a network error until it is acknowledged; some requests
 * are deliberately sent twice. Only 2xx answers count as acknowledged.
 */
export class LoadGenerator {
  readonly messages = new Map<string, AckedMessage>();
  readonly adjustments = new Map<string, AckedAdjustment>();
  readonly stats: LoadStats = {
    requestsSent: 0,
    acknowledged: 0,
    retriedAfterError: 0,
    deliberateDuplicates: 0,
    replayedResponses: 0,
    gaveUp: 0,
    rateLimited: 0,
  };
  private readonly random: SeededRandom;
  private readonly users: UserState[];
  private sentMessages = 0;
  private readonly serviceToken: Promise<string>;

  constructor(private readonly options: LoadOptions) {
    this.random = new SeededRandom(options.seed);
    this.users = Array.from({ length: options.users }, (_, i) => {
      const id = `chaos-user-${String(i).padStart(4, '0')}`;
      return { id, token: options.tokenFor(id), conversations: [], messages: [] };
    });
    this.serviceToken = options.tokenFor('chaos-title-service', ['tokens:adjust']);
  }

  async run(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.concurrency }, () => this.worker()));
  }

  private async worker(): Promise<void> {
    while (this.sentMessages < this.options.messages && Date.now() < this.options.deadline) {
      const user = this.users[this.random.int(this.users.length)]!;
      const dice = this.random.next();
      if (dice < 0.12 && user.messages.length > 0) await this.adjust(user);
      else await this.message(user, dice > 0.95);
    }
  }

  private async message(user: UserState, duplicate: boolean): Promise<void> {
    this.sentMessages++;
    const newConversation = user.conversations.length === 0 || this.random.next() < 0.1;
    const assistant = this.random.next() < 0.6;
    const prompt = 1 + this.random.int(4000);
    const completion = this.random.int(2000);
    const body: Record<string, unknown> = assistant
      ? {
          role: 'assistant',
          content: `answer ${randomUUID()}`,
          model: this.random.pick(['gpt-4o', 'gpt-4o-mini', 'claude-sonnet']),
          usage: { prompt_tokens: prompt, completion_tokens: completion, cached_tokens: this.random.int(prompt) },
        }
      : { role: 'user', content: `question ${randomUUID()}` };
    if (!newConversation) body.conversation_id = this.random.pick(user.conversations);
    const res = await this.send<MessageAck>('/v1/chat/messages', user.token, body, duplicate);
    if (!res) return;
    if (newConversation) user.conversations.push(res.conversation_id);
    user.messages.push({ id: res.message_id, conversationId: res.conversation_id });
    this.messages.set(res.message_id, { userId: user.id, conversationId: res.conversation_id, messageId: res.message_id, tokens: res.tokens_consumed });
  }

  private async adjust(user: UserState): Promise<void> {
    const target = this.random.pick(user.messages);
    const attach = this.random.next();
    const delta = this.random.next() < 0.2 ? -(1 + this.random.int(50)) : 1 + this.random.int(300);
    const body = {
      user_id: user.id,
      ...(attach < 0.5 ? { message_id: target.id } : attach < 0.8 ? { conversation_id: target.conversationId } : {}),
      tokens_delta: delta,
      reason: this.random.pick(['title_generation', 'summarisation', 'refund', 'correction']),
      triggered_at: new Date().toISOString(),
    };
    const res = await this.send<AdjustmentAck>('/v1/token-adjustments', this.serviceToken, body, this.random.next() < 0.05);
    if (!res) return;
    this.adjustments.set(res.event_id, {
      eventId: res.event_id,
      userId: user.id,
      conversationId: attach < 0.5 ? target.conversationId : attach < 0.8 ? target.conversationId : null,
      messageId: attach < 0.5 ? target.id : null,
      delta,
    });
  }

  /** Sends until a 2xx; a deliberate duplicate sends the same request twice at once. */
  private async send<T extends MessageAck | AdjustmentAck>(path: string, signing: Promise<string>, body: unknown, duplicate: boolean): Promise<T | undefined> {
    const token = await signing;
    const key = randomUUID();
    if (duplicate) {
      this.stats.deliberateDuplicates++;
      const [a, b] = await Promise.all([this.sendUntilAcked<T>(path, token, body, key), this.sendUntilAcked<T>(path, token, body, key)]);
      if (a && b && JSON.stringify(a) !== JSON.stringify(b)) {
        const ids = (r: MessageAck | AdjustmentAck) => ('message_id' in r ? r.message_id : r.event_id);
        if (ids(a) !== ids(b)) throw new Error(`idempotency violated: one key acknowledged twice with different results (${ids(a)} vs ${ids(b)})`);
      }
      return a ?? b;
    }
    return this.sendUntilAcked<T>(path, token, body, key);
  }

  private async sendUntilAcked<T>(path: string, token: string, body: unknown, key: string): Promise<T | undefined> {
    for (let attempt = 0; attempt < 60; attempt++) {
      this.stats.requestsSent++;
      try {
        const res = await fetch(`${this.options.baseUrl}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        });
        const text = await res.text();
        if (res.status >= 200 && res.status < 300) {
          this.stats.acknowledged++;
          if (res.headers.get('idempotent-replayed') === 'true') this.stats.replayedResponses++;
          return JSON.parse(text) as T;
        }
        if (res.status === 429) this.stats.rateLimited++;
        else if (res.status === 409 && text.includes('IDEMPOTENCY_KEY_IN_PROGRESS')) {
          // the twin request holds the key: wait and ask again
        } else if (res.status < 500) {
          throw new Error(`unexpected ${res.status} for ${path}: ${text.slice(0, 300)}`);
        }
      } catch (error) {
        if ((error as Error).message.startsWith('unexpected')) throw error;
      }
      this.stats.retriedAfterError++;
      await new Promise((r) => setTimeout(r, Math.min(2_000, 50 * 2 ** Math.min(attempt, 5))));
    }
    this.stats.gaveUp++;
    return undefined;
  }
}
