import type { ImportGraph } from './import-graph.js';

/** What a test reads to learn its project's database (vitest.config.ts sets it); nothing else tells them apart. */
export const DATABASE_MARKER = 'CHAINLOG_TEST_DB';

/**
 * The test files under `folders` that cannot tell which database project runs them: neither they nor any repository
 * file they reach (import, literal dynamic import, literal path they may spawn) mentions CHAINLOG_TEST_DB. They
 * behave the same in both projects, so one run is enough.
 */
export function databaseFreeTestFiles(graph: ImportGraph, folders: readonly string[]): string[] {
  return graph.testFilesNotReaching(folders, ({ source }) => source.includes(DATABASE_MARKER));
}
