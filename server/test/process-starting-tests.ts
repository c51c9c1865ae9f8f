import type { ImportGraph } from './import-graph.js';

// child_process or playwright-core (which starts Chromium), in any quoting, as a static import (`from '…'`, or
// `import '…'` for its effects), a dynamic `import('…')` or a `require('…')`.
const STARTS_PROCESSES =
  /(?:\bfrom\s+|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"](?:(?:node:)?child_process|playwright-core)['"]/;

/**
 * The test files under `folders` that start other processes (a server as `npm start` runs it, PostgreSQL, the CLI,
 * npm, Chromium), themselves or through a file they reach: vitest.config.ts runs them one at a time after the rest,
 * because their timings assume the cores those processes need.
 */
export function processStartingTestFiles(graph: ImportGraph, folders: readonly string[]): string[] {
  return graph.testFilesReaching(folders, (source) => STARTS_PROCESSES.test(source));
}
