import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import { z } from 'zod';

const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));
const { dependencies } = z
  .object({ dependencies: z.record(z.string(), z.string()) })
  .parse(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')));

/** Where `npm start` runs the server from: one ES module, beside its source map. */
export const SERVER_BUNDLE = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/**
 * The server as one JavaScript file that plain `node` runs, so a production install needs neither tsx nor turbo.
 * Packages stay in node_modules (PGlite reads its wasm beside itself; the SDKs keep their own files), except the
 * workspace's own `@chainlog/shared`, which is TypeScript source and is bundled in.
 */
export const serverBundleOptions: BuildOptions = {
  absWorkingDir: SERVER_DIR,
  entryPoints: ['src/main.ts'],
  outfile: SERVER_BUNDLE,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: Object.keys(dependencies).filter((name) => !name.startsWith('@chainlog/')),
  sourcemap: true,
  logLevel: 'warning',
};
