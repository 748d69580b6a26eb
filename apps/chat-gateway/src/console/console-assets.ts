import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

/** One file of the built console, held in memory with what its response needs. */
export interface ConsoleAsset {
  body: Buffer;
  /** gzip of the body when that is smaller (text files), else undefined. */
  gzip?: Buffer;
  contentType: string;
  cacheControl: string;
  etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite names what it emits into assets/ `<name>-<content hash>.<ext>`: such a file never changes under its name. */
const HASHED = /^assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html (and anything not content-hashed): the browser revalidates every time, so a new build shows at once. */
export const REVALIDATE = 'no-cache';

/**
 * Where `npm run build` puts the console: dist/console. From the compiled gateway (dist/apps/chat-gateway/src/console)
 * that is four levels up; from its TypeScript source (tests) it is <repository>/dist/console.
 */
export function defaultConsoleDir(): string {
  const candidates = [resolve(__dirname, '../../../../console'), resolve(__dirname, '../../../../dist/console')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[candidates.length - 1]!;
}

/**
 * The built console, read once at start: only the files found then are served (a request names a key of this map,
 * never a path on disk, so nothing outside the folder can be reached).
 */
export class ConsoleAssets {
  private readonly files = new Map<string, ConsoleAsset>();

  constructor(readonly dir: string) {
    if (!existsSync(join(dir, 'index.html'))) return;
    for (const path of walk(dir)) {
      const name = relative(dir, path).split(sep).join('/');
      const contentType = CONTENT_TYPES[extname(name).toLowerCase()];
      if (!contentType) continue;
      const body = readFileSync(path);
      const compressible = /^(text\/|application\/json|image\/svg)/.test(contentType) && body.length > 512;
      const gzip = compressible ? gzipSync(body, { level: 9 }) : undefined;
      this.files.set(name, {
        body,
        gzip: gzip && gzip.length < body.length ? gzip : undefined,
        contentType,
        cacheControl: HASHED.test(name) ? IMMUTABLE : REVALIDATE,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      });
    }
  }

  /** True when a build was found (index.html). */
  get built(): boolean {
    return this.files.has('index.html');
  }

  get(name: string): ConsoleAsset | undefined {
    return this.files.get(name);
  }
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}
