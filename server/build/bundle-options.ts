import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import { z } from 'zod';
import { WORKER_BUNDLE_NAME } from '../src/db/pglite-worker/worker-entry-location.js';

const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));
const { dependencies } = z
  .object({ dependencies: z.record(z.string(), z.string()) })
  .parse(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')));

/** Where the bundles go: the server, and beside it the worker thread that runs the embedded PGlite. */
export const SERVER_BUNDLE_DIR = fileURLToPath(new URL('../dist', import.meta.url));
/** Where `npm start` runs the server from: one ES module, beside its source map. */
export const SERVER_BUNDLE = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/**
 * The server as one JavaScript file that plain `node` runs, and the embedded PGlite's worker thread as a second, so
 * a production install needs neither tsx nor turbo. Packages stay in node_modules (PGlite reads its wasm beside
 * itself; the SDKs keep their own files), except the workspace's own `@chainlog/shared`, which is TypeScript source
 * and is bundled in.
 */
export const serverBundleOptions: BuildOptions = {
  absWorkingDir: SERVER_DIR,
  entryPoints: { main: 'src/main.ts', [WORKER_BUNDLE_NAME]: 'src/db/pglite-worker/worker-entry.ts' },
  outdir: SERVER_BUNDLE_DIR,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: Object.keys(dependencies).filter((name) => !name.startsWith('@chainlog/')),
  sourcemap: true,
  logLevel: 'warning',
};
