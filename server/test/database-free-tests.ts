import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

/** What a test reads to learn its project's database (vitest.config.ts sets it); nothing else tells them apart. */
export const DATABASE_MARKER = 'CHAINLOG_TEST_DB';

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.js', '.mjs'];
// A path in a string ('server/src/main.ts', new URL('./child.ts', import.meta.url)): a file a test may run as a
// child process or worker, which inherits the environment; followed like an import.
const PATH_LITERAL = /['"`]((?:\.{1,2}\/|[\w@-]+\/)[\w@./-]*\.(?:ts|tsx|mts|js|mjs))['"`]/g;

/**
 * The test files under `folders` (relative to `root`) that cannot tell which database project runs them: neither
 * they nor any repository file they import (statically, by a literal dynamic import, or by a literal path they may
 * spawn), transitively, mentions CHAINLOG_TEST_DB. They behave the same in both projects, so one run is enough.
 * Paths are relative to `root`, with forward slashes.
 */
export function databaseFreeTestFiles(root: string, folders: readonly string[]): string[] {
  const graph = new ImportGraph(realpathSync(root));
  return folders
    .flatMap((folder) => testFilesUnder(path.join(root, folder)))
    .filter((file) => !graph.reachesMarker(realpathSync(file)))
    .map((file) => path.relative(root, file).split(path.sep).join('/'))
    .sort();
}

function testFilesUnder(folder: string): string[] {
  if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) return [];
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : testFilesUnder(full);
    return /\.test\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

class ImportGraph {
  private readonly files = new Map<string, { mentionsMarker: boolean; dependencies: string[] }>();

  constructor(private readonly root: string) {}

  /** A walk of its own per question (cycles make a verdict remembered per file wrong), over files read once. */
  reachesMarker(start: string): boolean {
    const seen = new Set([start]);
    const pending = [start];
    for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
      const { mentionsMarker, dependencies } = this.read(file);
      if (mentionsMarker) return true;
      for (const next of dependencies) {
        if (seen.has(next)) continue;
        seen.add(next);
        pending.push(next);
      }
    }
    return false;
  }

  private read(file: string): { mentionsMarker: boolean; dependencies: string[] } {
    const known = this.files.get(file);
    if (known) return known;
    const source = readFileSync(file, 'utf8');
    const mentionsMarker = source.includes(DATABASE_MARKER);
    const read = { mentionsMarker, dependencies: mentionsMarker ? [] : this.dependencies(file, source) };
    this.files.set(file, read);
    return read;
  }

  private dependencies(file: string, source: string): string[] {
    const imported = ts.preProcessFile(source, true, true).importedFiles.map((reference) => reference.fileName);
    const literalPaths = [...source.matchAll(PATH_LITERAL)].map((match) => match[1] ?? '');
    return [...imported, ...literalPaths]
      .flatMap((specifier) => this.resolve(file, specifier))
      .filter(
        (resolved) =>
          resolved.startsWith(this.root + path.sep) && !resolved.includes(`${path.sep}node_modules${path.sep}`),
      );
  }

  /** Nothing when the specifier names no file in the repository (a package, a builtin, a file not there). */
  private resolve(importer: string, specifier: string): string[] {
    if (specifier.startsWith('node:')) return [];
    const bases = specifier.startsWith('.')
      ? [path.resolve(path.dirname(importer), specifier)]
      : [path.resolve(this.root, specifier), ...workspacePackagePath(importer, specifier)];
    return bases.flatMap((base) => {
      const found = candidates(base).find((candidate) => statSync(candidate, { throwIfNoEntry: false })?.isFile());
      return found ? [realpathSync(found)] : [];
    });
  }
}

// TypeScript's NodeNext spelling: './file.js' names './file.ts'.
function candidates(base: string): string[] {
  const stem = base.replace(/\.(?:js|mjs|jsx)$/, '');
  return [
    base,
    ...SOURCE_EXTENSIONS.map((extension) => stem + extension),
    ...SOURCE_EXTENSIONS.map((extension) => path.join(base, `index${extension}`)),
  ];
}

// A workspace package ('@chainlog/shared') resolves through node_modules to its folder in the repository.
function workspacePackagePath(importer: string, specifier: string): string[] {
  try {
    return [realpathSync(createRequire(importer).resolve(specifier))];
  } catch (error) {
    // Not resolvable the require way (a types-only or import-only package): never a workspace, whose exports are
    // plain paths.
    if (error instanceof Error && 'code' in error) return [];
    throw error;
  }
}
