import { createReadStream, existsSync, statSync } from 'node:fs';
import { pipeline } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { log } from './log.js';

const staticLog = log.withTag('static');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/**
 * Serves the built client (client/dist) with the SPA fallback to index.html. Returns false when the folder
 * has no index.html, so the caller can answer 404.
 */
export function createStaticHandler(rootDir: string): ((request: IncomingMessage, response: ServerResponse) => boolean) | undefined {
  const root = path.resolve(rootDir);
  const indexFile = path.join(root, 'index.html');
  if (!existsSync(indexFile)) return undefined;
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
    const isFile = candidate.startsWith(root + path.sep) && existsSync(candidate) && statSync(candidate).isFile();
    const file = isFile ? candidate : indexFile;
    const extension = path.extname(file);
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extension] ?? 'application/octet-stream',
      // Vite fingerprints assets, so they may be cached for good; the shell must be revalidated.
      'cache-control': file === indexFile ? 'no-cache' : 'public, max-age=31536000, immutable',
    });
    if (request.method === 'HEAD') response.end();
    // pipe() would leave a read error (the file removed since the check, as a rebuild of the client does) unhandled,
    // which ends the process; pipeline ends the response instead.
    else pipeline(createReadStream(file), response, (error) => error && staticLog.warn(`could not send ${file}: ${error.message}`));
    return true;
  };
}
