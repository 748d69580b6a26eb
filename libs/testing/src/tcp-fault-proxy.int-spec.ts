import * as net from 'node:net';
import { eventually } from './eventually';
import { TcpFaultProxy } from './tcp-fault-proxy';

/** An echo server: what goes in comes back. */
async function echoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    s.pipe(s);
  });
  const port = await new Promise<number>((done) => server.listen(0, '127.0.0.1', () => done((server.address() as net.AddressInfo).port)));
  return {
    port,
    close: () =>
      new Promise((done) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => done());
      }),
  };
}

class Line {
  readonly received: string[] = [];
  closed = false;
  error?: string;
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => this.received.push(d.toString()));
    socket.on('close', () => (this.closed = true));
    socket.on('error', (e: NodeJS.ErrnoException) => (this.error = e.code ?? e.message));
  }
  static open(port: number): Line {
    return new Line(net.connect({ host: '127.0.0.1', port }));
  }
  get text(): string {
    return this.received.join('');
  }
}

describe('TcpFaultProxy', () => {
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let proxy: TcpFaultProxy;

  beforeEach(async () => {
    echo = await echoServer();
    proxy = await TcpFaultProxy.listen({ target: `127.0.0.1:${echo.port}` });
  });
  afterEach(async () => {
    await proxy.close();
    await echo.close();
  });

  it('forwards both ways', async () => {
    const line = Line.open(proxy.port);
    line.socket.write('hello');
    await eventually(() => expect(line.text).toBe('hello'));
    line.socket.destroy();
  });

  it('cut() resets open connections and refuses new ones; restore() accepts again on the same port', async () => {
    const line = Line.open(proxy.port);
    line.socket.write('a');
    await eventually(() => expect(line.text).toBe('a'));
    await proxy.cut();
    await eventually(() => expect(line.closed).toBe(true));
    const refused = Line.open(proxy.port);
    await eventually(() => expect(refused.error).toBe('ECONNREFUSED'));

    await proxy.restore();
    const again = Line.open(proxy.port);
    again.socket.write('b');
    await eventually(() => expect(again.text).toBe('b'));
    again.socket.destroy();
  });

  it('freeze() holds every byte without closing anything; restore() delivers them', async () => {
    const line = Line.open(proxy.port);
    line.socket.write('1');
    await eventually(() => expect(line.text).toBe('1'));
    proxy.freeze();
    line.socket.write('2');
    const late = Line.open(proxy.port);
    late.socket.write('x');
    await new Promise((r) => setTimeout(r, 300)); // a bounded wait to show that nothing arrives
    expect(line.text).toBe('1');
    expect(late.text).toBe('');
    expect(line.closed || late.closed).toBe(false);

    await proxy.restore();
    await eventually(() => expect(line.text).toBe('12'));
    await eventually(() => expect(late.text).toBe('x'));
    line.socket.destroy();
    late.socket.destroy();
  });

  it('setLatency() delays every chunk, in order', async () => {
    proxy.setLatency(150);
    const line = Line.open(proxy.port);
    await new Promise((r) => line.socket.once('connect', r));
    const sent = Date.now();
    for (const c of ['a', 'b', 'c']) line.socket.write(c);
    await eventually(() => expect(line.text).toBe('abc'));
    // There and back: at least twice the latency.
    expect(Date.now() - sent).toBeGreaterThanOrEqual(290);
    line.socket.destroy();
  });
});
