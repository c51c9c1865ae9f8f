import type { ImportGraph } from './import-graph.js';

// An import of child_process or of playwright-core (which starts Chromium), in any quoting.
const STARTS_PROCESSES = /\bfrom\s+['"](?:node:)?child_process['"]|\bfrom\s+['"]playwright-core['"]/;

/**
 * The test files under `folders` that start other processes (a server as `npm start` runs it, PostgreSQL, the CLI,
 * npm, Chromium), themselves or through a file they reach: vitest.config.ts runs them one at a time after the rest,
 * because their timings assume the cores those processes need.
 */
export function processStartingTestFiles(graph: ImportGraph, folders: readonly string[]): string[] {
  return graph.testFilesReaching(folders, (source) => STARTS_PROCESSES.test(source));
}
