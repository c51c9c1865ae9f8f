import path from 'node:path';
import { build } from 'esbuild';
import { serverBundleOptions } from '../build/bundle-options.js';
import { WORKER_BUNDLE_NAME } from '../src/db/pglite-worker/worker-entry-location.js';
import { builtOnce } from './built-once.js';

/** The server bundle `npm run build` makes (main.js and the PGlite worker beside it), built once per test run. */
export async function builtServerMain(): Promise<string> {
  return path.join(await builtServerFolder(), 'main.js');
}

/**
 * The PGlite worker thread's code from that bundle, which test databases run: from the sources every worker thread
 * started tsx's loader (a thread of its own) and compiled the worker's TypeScript again, 0.8 s of CPU of the 2.3 s a
 * test database took to open.
 */
export async function builtPgliteWorker(): Promise<string> {
  return path.join(await builtServerFolder(), `${WORKER_BUNDLE_NAME}.js`);
}

function builtServerFolder(): Promise<string> {
  return builtOnce('server', 'main.js', async (outDir) => {
    await build({ ...serverBundleOptions, outdir: outDir });
  });
}
