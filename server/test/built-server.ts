import path from 'node:path';
import { build } from 'esbuild';
import { serverBundleOptions } from '../build/bundle-options.js';
import { builtOnce } from './built-once.js';

/** The server bundle `npm run build` makes (main.js and the PGlite worker beside it), built once per test run. */
export async function builtServerMain(): Promise<string> {
  const folder = await builtOnce('server', 'main.js', async (outDir) => {
    await build({ ...serverBundleOptions, outdir: outDir });
  });
  return path.join(folder, 'main.js');
}
