import * as net from 'node:net';

export interface TcpForwarderOptions {
  host: string;
  /** 0 = a free port chosen by the kernel. */
  port: number;
  /** Upstream host:port candidates, tried in order for every new connection. */
  targets: () => readonly string[];
}

/**
 * Plain TCP forwarder: every accepted connection is piped byte for byte to the first upstream that
 * accepts it. Used only to give the mock cluster a fixed bootstrap address; clients then talk to the
 * host:port that each broker advertises in Metadata, not through here.
 */
export class TcpForwarder {
  private readonly sockets = new Set<net.Socket>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async listen(options: TcpForwarderOptions): Promise<TcpForwarder> {
    const server = net.createServer({ pauseOnConnect: true });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        server.removeListener('listening', onListening);
        reject(
          err.code === 'EADDRINUSE'
            ? new Error(`embedded kafka: port ${options.host}:${options.port} is already in use (another broker running?)`, { cause: err })
            : err,
        );
      };
      const onListening = (): void => {
        server.removeListener('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      // exclusive: a forwarder must never share its port with a leftover server (cluster mode would allow it).
      server.listen({ host: options.host, port: options.port, exclusive: true });
    });
    const address = server.address() as net.AddressInfo;
    const forwarder = new TcpForwarder(server, address.port);
    server.on('connection', (client) => forwarder.accept(client, options.targets()));
    // A late server error (rare: EMFILE on accept) must not crash the process hosting the broker.
    server.on('error', () => undefined);
    return forwarder;
  }

  /** Stops listening and destroys every forwarded connection. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = new Promise<void>((resolve) => {
        this.server.close(() => resolve());
        for (const socket of this.sockets) socket.destroy();
        this.sockets.clear();
      });
    }
    return this.closing;
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    // Resets are normal here (a broker set down, a client killed); the paired socket is torn down below.
    socket.on('error', () => undefined);
  }

  private accept(client: net.Socket, targets: readonly string[]): void {
    if (this.closing) {
      client.destroy();
      return;
    }
    this.track(client);
    client.setNoDelay(true);
    this.connectUpstream(client, targets, 0);
  }

  private connectUpstream(client: net.Socket, targets: readonly string[], index: number): void {
    if (index >= targets.length || client.destroyed) {
      // Every broker refused (all set down): close the client, as a down broker would.
      client.destroy();
      return;
    }
    const { host, port } = splitHostPort(targets[index]);
    const upstream = net.connect({ host, port });
    this.track(upstream);
    upstream.setNoDelay(true);
    const onConnectError = (): void => {
      upstream.destroy();
      this.connectUpstream(client, targets, index + 1);
    };
    upstream.once('error', onConnectError);
    upstream.once('connect', () => {
      upstream.removeListener('error', onConnectError);
      if (client.destroyed || this.closing) {
        upstream.destroy();
        return;
      }
      client.pipe(upstream);
      upstream.pipe(client);
      // Half-closes are not part of the Kafka protocol: when either side goes, tear down both.
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
      client.resume();
    });
  }
}

function splitHostPort(hostPort: string): { host: string; port: number } {
  const i = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)) };
}
