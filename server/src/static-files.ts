import { createHash } from 'node:crypto';
import { type Stats, createReadStream, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { type ContentCoding, chooseEncoding, matchesIfNoneMatch } from './http/content-negotiation.js';
import { PRECOMPRESSED, cacheControlOf, contentTypeOf } from './client-file-policy.js';
import { log } from './log.js';

const staticLog = log.withTag('static');

/** More distinct files than a client build has; past it the ETag cache starts over (a long run across many rebuilds). */
const MAX_CACHED_ETAGS = 2_000;

/**
 * Serves the built client (client/dist) with the SPA fallback to index.html. Returns undefined when the folder has
 * no index.html; the handler returns false for what it does not serve, so the caller can answer 404.
 *
 * Each file goes out as the precompressed `.br` or `.gz` beside it when the request's Accept-Encoding takes one
 * (brotli first), else as is; with a strong ETag (a hash of the bytes sent) and a 304 for a matching If-None-Match;
 * cached for a year when Vite fingerprinted its name, revalidated otherwise. HEAD answers the same headers.
 */
export function createStaticHandler(
  rootDir: string,
): ((request: IncomingMessage, response: ServerResponse) => boolean) | undefined {
  const root = path.resolve(rootDir);
  const indexFile = path.join(root, 'index.html');
  if (!existsSync(indexFile)) return undefined;
  const etags = createEtagCache();
  return (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const target = request.url ?? '/';
    // Only a path names a file (not `http://host/…` or `*`). It is read under a fixed origin, not resolved against
    // one: resolved, `//x` would name the host x and `//` would throw, which here would crash the server.
    if (!target.startsWith('/')) return false;
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(`http://localhost${target}`).pathname);
    } catch (error) {
      // A malformed escape (`/%E0%A4%A`) names no file; thrown here it would crash the server, so the caller answers 404.
      if (error instanceof URIError) return false;
      throw error;
    }
    // An empty first segment (`//`, `/\x`, which URL reads as `//x`) is neither a file nor a page of the client.
    if (pathname.startsWith('//')) return false;
    const candidate = path.resolve(root, `.${pathname}`);
    // Anything outside the root, or not a file, gets the app shell: the client routes it.
    const candidateStats = candidate.startsWith(root + path.sep)
      ? statSync(candidate, { throwIfNoEntry: false })
      : undefined;
    const file = candidateStats?.isFile() ? candidate : indexFile;
    const relative = path.relative(root, file).split(path.sep).join('/');
    const cacheControl = cacheControlOf(relative);
    void sendFile(request, response, { file, cacheControl, etags });
    return true;
  };
}

interface SendOptions {
  file: string;
  cacheControl: string;
  etags: EtagCache;
}

async function sendFile(
  request: IncomingMessage,
  response: ServerResponse,
  { file, cacheControl, etags }: SendOptions,
): Promise<void> {
  const representations = storedRepresentations(file);
  const coding = chooseEncoding(
    request.headers['accept-encoding'],
    representations.map((representation) => representation.coding),
  );
  const sent = representations.find((representation) => representation.coding === coding);
  let etag: string;
  try {
    if (!sent) throw new Error('no such file');
    etag = await etags.of(sent.path, sent.stats);
  } catch (error) {
    // Unreadable (removed by a rebuild since the check, or an I/O error): nothing has been sent yet, so say so.
    staticLog.warn(`could not read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    response
      .writeHead(500, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: 'could not read the file' }));
    return;
  }
  // Every answer for this path depends on Accept-Encoding, the identity one too: caches must key on it.
  const validators: OutgoingHttpHeaders = { etag, 'cache-control': cacheControl, vary: 'Accept-Encoding' };
  if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) {
    response.writeHead(304, validators).end();
    return;
  }
  response.writeHead(200, {
    ...validators,
    'content-type': contentTypeOf(file),
    'content-length': sent.stats.size,
    ...(coding === 'identity' ? {} : { 'content-encoding': coding }),
  });
  if (request.method === 'HEAD' || sent.stats.size === 0) {
    response.end();
    return;
  }
  // pipe() would leave a read error (the file removed since the check, as a rebuild of the client does) unhandled,
  // which ends the process; pipeline ends the response instead. Read no further than the Content-Length sent: a file
  // rewritten while it is read would spill its new bytes into the next answer on the kept-alive connection.
  pipeline(createReadStream(sent.path, { end: sent.stats.size - 1 }), response, (error) => {
    if (!error) return;
    // The client hanging up mid-body (a tab closed, a page left) is routine, not the server's failure.
    if ('code' in error && error.code === 'ERR_STREAM_PREMATURE_CLOSE')
      staticLog.debug(`${sent.path}: the client left before the end`);
    else staticLog.warn(`could not send ${sent.path}: ${error.message}`);
  });
}

interface Representation {
  coding: ContentCoding;
  path: string;
  stats: Stats;
}

/**
 * The file as is and the `.br`/`.gz` files beside it; none when the file is gone. A precompressed file older than
 * the file is left out: it was made from an earlier version of it.
 */
function storedRepresentations(file: string): Representation[] {
  const stats = statSync(file, { throwIfNoEntry: false });
  if (!stats?.isFile()) return [];
  const representations: Representation[] = [{ coding: 'identity', path: file, stats }];
  for (const { coding, suffix } of PRECOMPRESSED) {
    const encodedStats = statSync(file + suffix, { throwIfNoEntry: false });
    if (encodedStats?.isFile() && encodedStats.mtimeMs >= stats.mtimeMs)
      representations.push({ coding, path: file + suffix, stats: encodedStats });
  }
  return representations;
}

interface EtagCache {
  /** A strong ETag for the file's bytes, hashed once per (path, size, modification time). */
  of(file: string, stats: Stats): Promise<string>;
}

function createEtagCache(): EtagCache {
  const cache = new Map<string, string>();
  return {
    async of(file, stats) {
      const key = `${file}\0${stats.size}\0${stats.mtimeMs}\0${stats.ino}`;
      const known = cache.get(key);
      if (known) return known;
      // The bytes' own hash, not size and time: the same build served by two instances gets the same ETags.
      const etag = `"${createHash('sha256')
        .update(await readFile(file))
        .digest('base64url')
        .slice(0, 27)}"`;
      if (cache.size >= MAX_CACHED_ETAGS) cache.clear();
      cache.set(key, etag);
      return etag;
    },
  };
}
