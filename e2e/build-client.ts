import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const CLIENT_ROOT = fileURLToPath(new URL('../client', import.meta.url));

/**
 * Builds the client as `npm run build` does, into a folder of its own; returns the folder. For production whatever
 * NODE_ENV says: vitest sets it to `test`, and Vite would then bundle React's development build (about 75 KB gzip more).
 */
export async function buildClient(): Promise<string> {
  const outDir = mkdtempSync(path.join(tmpdir(), 'chainlog-client-'));
  // Vite reads NODE_ENV itself (React's build, the JSX runtime); only the build sees the production value.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      root: CLIENT_ROOT,
      configFile: path.join(CLIENT_ROOT, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  return outDir;
}
