import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

/**
 * vitest globalSetup of both projects: the run's folder for builds the suites share, removed when the run ends.
 * Named after the vitest process, in which every project's set-up runs, so both projects share it. Inside the
 * repository's node_modules: the server bundle leaves its packages external, and Node looks for them from there up.
 */
export default function setup(project: TestProject): () => void {
  const folder = fileURLToPath(new URL(`../../node_modules/.cache/chainlog-test-run-${process.pid}`, import.meta.url));
  mkdirSync(folder, { recursive: true });
  project.provide('runBuildFolder', folder);
  return () => rmSync(folder, { recursive: true, force: true });
}
