import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { GatewayConfig } from '../config/gateway.config';
import { ConversationsRepository } from '../conversations/conversations.repository';
import { ChatRetentionRepository } from './chat-retention.repository';

export type ChatRetentionKind = 'message_content' | 'deleted_conversations';

/** Conversations purged per transaction: each takes its messages with it, so fewer than RETENTION_BATCH_SIZE rows. */
const CONVERSATIONS_PER_BATCH = 50;

/**
 * The gateway's retention windows, swept every RETENTION_INTERVAL in small batches (each its own short
 * transaction, like the outbox's retention), several gateways at once without colliding (SKIP LOCKED):
 * - MESSAGE_RETENTION (default keep): message content older than the window is emptied; the message, its
 *   usage and its counted tokens stay.
 * - DELETED_CONVERSATION_RETENTION (default keep): conversations soft-deleted longer ago are purged, as
 *   `DELETE /v1/conversations/:id?purge=true` does.
 */
@Injectable()
export class ChatRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ChatRetentionService.name);
  private readonly removed: Counter<'kind'>;
  private readonly runs: Counter<'kind' | 'outcome'>;
  private timer?: NodeJS.Timeout;
  private running?: Promise<Record<ChatRetentionKind, number>>;
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly repo: ChatRetentionRepository,
    private readonly conversations: ConversationsRepository,
    private readonly config: GatewayConfig,
    registry: Registry,
  ) {
    this.removed = new Counter({
      name: 'gateway_retention_rows_total',
      help: 'Rows removed by retention, by kind: message_content (messages emptied, MESSAGE_RETENTION), deleted_conversations (purged).',
      labelNames: ['kind'],
      registers: [registry],
    });
    this.runs = new Counter({
      name: 'gateway_retention_runs_total',
      help: 'Retention sweeps by kind and outcome (ok, failed).',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    });
  }

  onApplicationBootstrap(): void {
    if (this.config.MESSAGE_RETENTION === 0 && this.config.DELETED_CONVERSATION_RETENTION === 0) return;
    this.timer = setInterval(() => void this.runOnce().catch(() => undefined), this.config.RETENTION_INTERVAL);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  runOnce(): Promise<Record<ChatRetentionKind, number>> {
    if (this.running) return this.running;
    const batch = this.config.RETENTION_BATCH_SIZE;
    this.running = (async () => ({
      message_content: await this.sweep('message_content', this.config.MESSAGE_RETENTION, batch, () =>
        this.repo.expireMessageContent(this.dataSource.manager, this.config.MESSAGE_RETENTION, batch),
      ),
      deleted_conversations: await this.sweep('deleted_conversations', this.config.DELETED_CONVERSATION_RETENTION, CONVERSATIONS_PER_BATCH, () =>
        this.dataSource.transaction(async (manager) => {
          const ids = await this.repo.expiredDeletedConversations(manager, this.config.DELETED_CONVERSATION_RETENTION, CONVERSATIONS_PER_BATCH);
          return this.conversations.purge(manager, ids);
        }),
      ),
    }))().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sweep(kind: ChatRetentionKind, windowMs: number, limit: number, batch: () => Promise<number>): Promise<number> {
    if (windowMs === 0) return 0;
    let total = 0;
    try {
      for (;;) {
        const n = await batch();
        total += n;
        this.removed.inc({ kind }, n);
        if (n < limit || this.stopping) break;
      }
      this.runs.inc({ kind, outcome: 'ok' });
      if (total > 0) this.logger.log({ msg: 'retention sweep', kind, rows: total });
      return total;
    } catch (error) {
      // A missed sweep only delays retention; the next interval tries again.
      this.runs.inc({ kind, outcome: 'failed' });
      this.logger.warn({ msg: 'retention sweep failed', kind, error: (error as Error).message });
      throw error;
    }
  }
}
