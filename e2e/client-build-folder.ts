import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the browser suites' one client build of this run goes (see e2e/build-client.ts). */
    clientBuildFolder: string;
  }
}

/**
 * vitest globalSetup of both projects: a folder for the client build that the browser suites share, removed when
 * the run ends. Named after the vitest process, in which every project's set-up runs, so both projects share it.
 */
export default function setup(project: TestProject): () => void {
  const folder = path.join(tmpdir(), `chainlog-e2e-client-${process.pid}`);
  mkdirSync(folder, { recursive: true });
  project.provide('clientBuildFolder', folder);
  return () => rmSync(folder, { recursive: true, force: true });
}
