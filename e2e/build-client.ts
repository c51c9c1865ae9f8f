import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { builtOnce } from '../server/test/built-once.js';

const CLIENT_ROOT = fileURLToPath(new URL('../client', import.meta.url));

/** The client as `npm run build` builds it, built once per test run and shared by the browser suites. */
export function builtClient(): Promise<string> {
  return builtOnce('client', 'index.html', buildClientInto);
}

/**
 * For production whatever NODE_ENV says: vitest sets it to `test`, and Vite would then bundle React's development
 * build (about 75 KB gzip more).
 */
async function buildClientInto(outDir: string): Promise<void> {
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
}
