import { Client, ClientConfig } from 'pg';

export interface ListenerLogger {
  warn(message: unknown, context?: string): void;
  debug(message: unknown, context?: string): void;
}

/**
 * LISTEN on the outbox's channel (`outbox_events` with the default names) on a dedicated connection (the insert
 * trigger notifies at commit). Reconnects on any error; while disconnected the relay's polling fallback keeps it
 * going, and every (re)connect wakes the relay once so nothing written meanwhile waits for the next poll.
 */
export class OutboxListener {
  private client?: Client;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  private connected = false;

  constructor(
    private readonly config: ClientConfig,
    /** A lower-case identifier (OUTBOX_SCHEMA + `_events`), so it needs no quoting. */
    private readonly channel: string,
    private readonly onNotify: () => void,
    private readonly logger: ListenerLogger,
    private readonly reconnectDelayMs = 1_000,
  ) {}

  get isListening(): boolean {
    return this.connected;
  }

  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ ...this.config, keepAlive: true });
    this.client = client;
    let failed = false;
    const onFailure = (error?: Error) => {
      if (failed) return;
      failed = true;
      this.connected = false;
      if (this.client === client) this.client = undefined;
      client.end().catch(() => undefined);
      if (this.stopped) return;
      this.logger.warn({ msg: 'outbox LISTEN connection lost, reconnecting', error: error?.message }, 'OutboxListener');
      this.retryTimer = setTimeout(() => void this.connect(), this.reconnectDelayMs);
      this.retryTimer.unref?.();
    };
    client.on('error', onFailure);
    client.on('end', () => onFailure(new Error('connection ended')));
    client.on('notification', (n) => {
      if (n.channel === this.channel) this.onNotify();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
      if (this.stopped || failed) return;
      this.connected = true;
      this.logger.debug({ msg: 'listening for outbox notifications' }, 'OutboxListener');
      this.onNotify();
    } catch (error) {
      onFailure(error as Error);
    }
  }
}
