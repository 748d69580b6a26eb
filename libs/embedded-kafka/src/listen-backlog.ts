import koffi from 'koffi';
import * as fs from 'node:fs';

const AF_INET = 2;
const SOL_SOCKET = 1;
const SO_ACCEPTCONN = 30;

interface Libc {
  listen: (fd: number, backlog: number) => number;
  getsockname: (fd: number, addr: Buffer, len: [number]) => number;
  getsockopt: (fd: number, level: number, name: number, value: Buffer, len: [number]) => number;
}

let libc: Libc | null | undefined;

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  try {
    // dlopen(NULL): libc is already mapped into node, whichever libc it is.
    const self = koffi.load(null);
    libc = {
      listen: self.func('int listen(int fd, int backlog)'),
      getsockname: self.func('int getsockname(int fd, void *addr, _Inout_ uint32_t *len)'),
      getsockopt: self.func('int getsockopt(int fd, int level, int name, void *value, _Inout_ uint32_t *len)'),
    };
  } catch {
    libc = null;
  }
  return libc;
}

/**
 * Raises the accept backlog of this process's listening IPv4 sockets bound to `ports`; returns how many
 * sockets it changed.
 *
 * Why: the librdkafka mock broker listens with a backlog of 5. When more than ~5 clients connect to one
 * broker at once (a test harness starting several kafkajs clients, each opening a connection per broker),
 * the kernel drops the extra SYNs and they are retried after 1 s; kafkajs' default connectionTimeout is
 * also 1 s, so connects time out and retry. Calling listen() again on a listening socket only changes
 * its backlog (Linux), which removes the stall (50 parallel clients: p50 1.27 s -> 0.07 s).
 *
 * Best effort and Linux only (/proc/self/fd): anywhere else it changes nothing and returns 0. Sockets
 * that are bound but not listening (a broker set down) are left alone, since listen() would open them.
 */
export function widenListenBacklog(ports: readonly number[], backlog = 512): number {
  const c = loadLibc();
  if (!c || ports.length === 0) return 0;
  let fds: string[];
  try {
    fds = fs.readdirSync('/proc/self/fd');
  } catch {
    return 0;
  }
  let changed = 0;
  for (const name of fds) {
    let link: string;
    try {
      link = fs.readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue; // closed meanwhile, or the directory handle itself
    }
    if (!link.startsWith('socket:')) continue;
    const fd = Number(name);
    const addr = Buffer.alloc(128);
    if (c.getsockname(fd, addr, [addr.length]) !== 0 || addr.readUInt16LE(0) !== AF_INET) continue;
    if (!ports.includes(addr.readUInt16BE(2))) continue;
    const accepting = Buffer.alloc(4);
    if (c.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, accepting, [accepting.length]) !== 0) continue;
    if (accepting.readInt32LE(0) !== 1) continue;
    if (c.listen(fd, backlog) === 0) changed++;
  }
  return changed;
}
