import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const HOST = '127.0.0.1';

/**
 * The kernel's ephemeral range (where the local ports of outgoing connections come from). A port taken from
 * it with listen(0) can be handed to some process's outgoing connection before our server binds it: the
 * broker's own connection to its controller, Maven fetching jars, a test's client pool. So listeners we
 * start later get ports below that range, where only listeners live.
 */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!];
  } catch {
    // not Linux: the IANA dynamic range
  }
  return [49152, 65535];
}

export function portIsFree(port: number, host = HOST): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.unref();
    server.once('error', () => done(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => done(true)));
  });
}

const handedOut = new Set<number>();

/**
 * A port on 127.0.0.1 that is free now, below the ephemeral range, and not handed out before by this
 * process (two servers started side by side must not get the same one).
 */
export async function findFreePort(): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  const low = 10_000;
  const high = Math.max(low + 1000, Math.min(ephemeralLow, 65536)) - 1;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port)) continue;
    if (await portIsFree(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found between ${low} and ${high}`);
}
