import * as net from 'node:net';

export type ProxyMode = 'open' | 'cut' | 'frozen';

export interface TcpFaultProxyOptions {
  /** Upstream `host:port`, resolved for every new connection. */
  target: string | (() => string);
  /** Listening port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
}

interface Pair {
  client: net.Socket;
  upstream?: net.Socket;
  /** One side closed while frozen: the other side learns of it only on restore(), as after a real freeze. */
  closedWhileFrozen?: boolean;
}

/**
 * A TCP proxy that tests and the chaos run put between a client and a server to play the network:
 *
 * - `cut()`: every connection is reset and new ones are refused, like a dead link or a crashed host;
 * - `freeze()`: connections stay open but no byte moves in either direction and new connections hang,
 *   like a host that lost power or a partition with no RST (the far side only notices through timeouts
 *   and keepalives);
 * - `setLatency(ms)`: every chunk is delivered `ms` later, in order;
 * - `restore()`: back to normal (frozen connections resume where they stopped).
 *
 * For Kafka it must be the address the broker *advertises* (a listener of its own), because clients
 * connect to advertised addresses after bootstrapping.
 */
export class TcpFaultProxy {
  private readonly pairs = new Set<Pair>();
  private server?: net.Server;
  private modeNow: ProxyMode = 'open';
  private latencyMs = 0;
  private closed = false;

  private constructor(
    private readonly target: () => string,
    readonly port: number,
  ) {}

  static async listen(options: TcpFaultProxyOptions): Promise<TcpFaultProxy> {
    const target = typeof options.target === 'string' ? () => options.target as string : options.target;
    const probe = net.createServer();
    const port = await new Promise<number>((done, fail) => {
      probe.once('error', fail);
      probe.listen({ host: '127.0.0.1', port: options.port ?? 0, exclusive: true }, () => {
        const { port: bound } = probe.address() as net.AddressInfo;
        probe.close(() => done(bound));
      });
    });
    const proxy = new TcpFaultProxy(target, port);
    await proxy.openServer();
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get mode(): ProxyMode {
    return this.modeNow;
  }

  /** Connections currently open through the proxy. */
  get connections(): number {
    return this.pairs.size;
  }

  /** Resets every connection and refuses new ones until restore(). */
  async cut(): Promise<void> {
    this.modeNow = 'cut';
    for (const pair of this.pairs) this.destroy(pair, true);
    await this.closeServer();
  }

  /** Stops every byte in both directions without closing anything; new connections are accepted and held. */
  freeze(): void {
    this.modeNow = 'frozen';
    for (const { client, upstream } of this.pairs) {
      client.pause();
      upstream?.pause();
    }
  }

  /** Delays every chunk by `ms` (0 removes the delay). */
  setLatency(ms: number): void {
    if (!Number.isInteger(ms) || ms < 0) throw new Error(`invalid latency ${ms}`);
    this.latencyMs = ms;
  }

  /** Normal forwarding again: listens if cut, resumes frozen connections. Keeps any latency. */
  async restore(): Promise<void> {
    const wasCut = this.modeNow === 'cut';
    this.modeNow = 'open';
    if (wasCut) await this.openServer();
    for (const pair of this.pairs) {
      if (pair.closedWhileFrozen) {
        this.destroy(pair, false);
      } else if (pair.upstream) {
        pair.client.resume();
        pair.upstream.resume();
      } else {
        this.connectUpstream(pair);
      }
    }
  }

  /** Stops listening and destroys every connection. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pair of this.pairs) this.destroy(pair, false);
    await this.closeServer();
  }

  private async openServer(): Promise<void> {
    if (this.closed || this.server) return;
    const server = net.createServer({ pauseOnConnect: true }, (client) => this.accept(client));
    server.on('error', () => undefined);
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen({ host: '127.0.0.1', port: this.port, exclusive: true }, () => done());
    });
    this.server = server;
  }

  private closeServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    return new Promise((done) => (server ? server.close(() => done()) : done()));
  }

  private accept(client: net.Socket): void {
    if (this.closed || this.modeNow === 'cut') {
      client.resetAndDestroy();
      return;
    }
    const pair: Pair = { client };
    this.pairs.add(pair);
    client.setNoDelay(true);
    client.on('error', () => undefined);
    client.once('close', () => this.onSideClosed(pair));
    // Frozen: the connection is accepted but goes nowhere until restore().
    if (this.modeNow === 'open') this.connectUpstream(pair);
  }

  private connectUpstream(pair: Pair): void {
    if (pair.upstream || pair.client.destroyed) return;
    const [host, port] = splitHostPort(this.target());
    const upstream = net.connect({ host, port });
    pair.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on('error', () => undefined);
    upstream.once('close', () => this.onSideClosed(pair));
    upstream.once('connect', () => {
      this.forward(pair.client, upstream);
      this.forward(upstream, pair.client);
      if (this.modeNow === 'frozen') upstream.pause();
      else pair.client.resume();
    });
  }

  /** Copies `from` to `to`, delayed by the current latency, keeping chunk order. */
  private forward(from: net.Socket, to: net.Socket): void {
    let lastDue = 0;
    from.on('data', (chunk: Buffer) => {
      if (this.latencyMs === 0 && lastDue <= Date.now()) {
        if (!to.destroyed) to.write(chunk);
        return;
      }
      const due = Math.max(Date.now() + this.latencyMs, lastDue);
      lastDue = due;
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, due - Date.now());
    });
  }

  private onSideClosed(pair: Pair): void {
    if (this.modeNow === 'frozen') pair.closedWhileFrozen = true;
    else this.destroy(pair, false);
  }

  private destroy(pair: Pair, reset: boolean): void {
    if (!this.pairs.delete(pair)) return;
    if (reset) {
      pair.client.resetAndDestroy();
      pair.upstream?.resetAndDestroy();
    } else {
      pair.client.destroy();
      pair.upstream?.destroy();
    }
  }
}

function splitHostPort(hostPort: string): [string, number] {
  const i = hostPort.lastIndexOf(':');
  return [hostPort.slice(0, i), Number(hostPort.slice(i + 1))];
}
