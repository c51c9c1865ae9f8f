import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { inject } from 'vitest';

const CLIENT_ROOT = fileURLToPath(new URL('../client', import.meta.url));

/**
 * The client as `npm run build` builds it, built once per test run (by the first suite that asks) and shared by
 * every browser suite after it: the source does not change during a run, and each build took seconds of CPU. The
 * folder is the run's (e2e/client-build-folder.ts): read it, never write to or remove it.
 */
export async function builtClient(): Promise<string> {
  const outDir = path.join(inject('clientBuildFolder'), 'dist');
  if (existsSync(path.join(outDir, 'index.html'))) return outDir;
  const building = mkdtempSync(path.join(inject('clientBuildFolder'), 'building-'));
  await buildClientInto(building);
  // A whole folder renamed into place, so the next suite never finds half a build.
  try {
    renameSync(building, outDir);
  } catch (error) {
    if (!existsSync(path.join(outDir, 'index.html'))) throw error;
    rmSync(building, { recursive: true, force: true });
  }
  return outDir;
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
