import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const CLIENT_ROOT = fileURLToPath(new URL('../client', import.meta.url));

/** Builds the client as `npm run build` does, into a folder of its own; returns the folder. */
export async function buildClient(): Promise<string> {
  const outDir = mkdtempSync(path.join(tmpdir(), 'chainlog-client-'));
  await build({
    root: CLIENT_ROOT,
    configFile: path.join(CLIENT_ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}
