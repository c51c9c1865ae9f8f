import path from 'node:path';

/**
 * How each file of the client build is served, wherever it is served from: `npm start` (static-files.ts) and the
 * S3 deploy (scripts/deploy/) apply the same types and cache rules, so a bundle behaves alike on both.
 */

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

/** The files the client build writes beside another, precompressed (client/build/precompress.ts). */
export const PRECOMPRESSED = [
  { coding: 'br', suffix: '.br' },
  { coding: 'gzip', suffix: '.gz' },
] as const;

/** Vite's fingerprinted output, `assets/<name>-<hash>.<ext>`: its name changes with its content. */
const HASHED_ASSET = /^assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+$/;
export const IMMUTABLE = 'public, max-age=31536000, immutable';
// Anything else (index.html, a file from client/public) may change under the same name: cached, but revalidated.
export const REVALIDATE = 'no-cache';

/** The Content-Type of a file, by its extension; `application/octet-stream` for one not listed. */
export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
}

/** Whether a path relative to the build's root (`assets/index-C2IEUTcS.js`, `/` separated) is fingerprinted. */
export function isHashedAsset(relativePath: string): boolean {
  return HASHED_ASSET.test(relativePath);
}

/** Cache-Control for a path relative to the build's root: a year for fingerprinted files, revalidated otherwise. */
export function cacheControlOf(relativePath: string): string {
  return isHashedAsset(relativePath) ? IMMUTABLE : REVALIDATE;
}
