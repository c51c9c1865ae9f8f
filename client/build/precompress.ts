import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { constants, brotliCompress, gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Plugin } from 'vite';

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** Text files worth compressing; images and fonts (png, woff2) are compressed already. */
const COMPRESSIBLE = /\.(?:html|js|mjs|css|json|svg|map|txt|xml|webmanifest)$/;

/** Brotli at its densest (quality 11): done once per build, so the time goes to the build, not to each request. */
export function brotli(bytes: Buffer): Promise<Buffer> {
  return brotliAsync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
}

/** gzip at level 9, for clients that do not accept brotli. */
export function gzipBest(bytes: Buffer): Promise<Buffer> {
  return gzipAsync(bytes, { level: constants.Z_BEST_COMPRESSION });
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

/**
 * Writes `<file>.br` and `<file>.gz` beside each text file of `dir`, each only where it is smaller than the file, so
 * the server sends a stored encoding instead of compressing per request. Returns how many files it wrote.
 */
export async function precompressFolder(dir: string): Promise<number> {
  const files = (await filesUnder(dir)).filter((file) => COMPRESSIBLE.test(file));
  const written = await Promise.all(
    files.map(async (file) => {
      const bytes = await readFile(file);
      const encoded = await Promise.all([
        brotli(bytes).then((body) => ({ suffix: '.br', body })),
        gzipBest(bytes).then((body) => ({ suffix: '.gz', body })),
      ]);
      const smaller = encoded.filter(({ body }) => body.length < bytes.length);
      await Promise.all(smaller.map(({ suffix, body }) => writeFile(file + suffix, body)));
      return smaller.length;
    }),
  );
  return written.reduce((sum, count) => sum + count, 0);
}

/** Vite plugin: precompresses the bundle (brotli and gzip) once it is written, for `npm start` to serve. */
export function precompress(): Plugin {
  return {
    name: 'chainlog-precompress',
    apply: 'build',
    async writeBundle(options) {
      if (!options.dir) return;
      const count = await precompressFolder(options.dir);
      this.info(`wrote ${count} precompressed files (.br, .gz) beside the bundle`);
    },
  };
}
