import type { ImportGraph } from './import-graph.js';

// child_process, or playwright-core (which starts Chromium).
const STARTS_PROCESSES = new Set(['child_process', 'node:child_process', 'playwright-core']);
const STARTS_BROWSER = new Set(['playwright-core']);

/**
 * The test files under `folders` that start other processes (a server as `npm start` runs it, PostgreSQL, the CLI,
 * npm, Chromium), themselves or through a file they reach (an import, `import()` or `require()` of child_process or
 * playwright-core): vitest.config.ts runs them after the rest, because their timings assume the cores those processes
 * need.
 */
export function processStartingTestFiles(graph: ImportGraph, folders: readonly string[]): string[] {
  return graph.testFilesReaching(folders, ({ specifiers }) => specifiers.some((name) => STARTS_PROCESSES.has(name)));
}

/** Of those, the ones that start Chromium (they reach playwright-core): vitest.config.ts runs them one at a time, last. */
export function browserTestFiles(graph: ImportGraph, folders: readonly string[]): string[] {
  return graph.testFilesReaching(folders, ({ specifiers }) => specifiers.some((name) => STARTS_BROWSER.has(name)));
}
