import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where what the suites build once per run goes (./run-build-folder.ts makes it). */
    runBuildFolder: string;
  }
}

/**
 * The folder `name` of this test run's build folder (./run-build-folder.ts), built by `build` for the first suite that
 * asks and read by every suite after it: the sources cannot change during a run. `done` is a file the build writes,
 * so its presence says the folder is whole. Read the folder, never write to or remove it.
 */
export async function builtOnce(name: string, done: string, build: (outDir: string) => Promise<void>): Promise<string> {
  const runFolder = inject('runBuildFolder');
  const outDir = path.join(runFolder, name);
  if (existsSync(path.join(outDir, done))) return outDir;
  const building = mkdtempSync(path.join(runFolder, `${name}-building-`));
  try {
    await build(building);
    // A whole folder renamed into place, so the next suite never finds half a build.
    renameSync(building, outDir);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(path.join(outDir, done))) throw error;
  }
  return outDir;
}
