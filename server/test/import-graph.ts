import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.js', '.mjs'];

/** A file of the repository as the graph read it: its text, and what it imports (as written). */
export interface SourceFile {
  source: string;
  specifiers: readonly string[];
}

// A path in a string ('server/src/main.ts', new URL('./child.ts', import.meta.url)): a file a test may run as a
// child process or worker, which inherits the environment; followed like an import.
const PATH_LITERAL = /['"`]((?:\.{1,2}\/|[\w@-]+\/)[\w@./-]*\.(?:ts|tsx|mts|js|mjs))['"`]/g;

/**
 * The repository's files as test files reach them: by import (static, or a literal dynamic import) or by a literal
 * path they may spawn or start as a worker, transitively. Each file is read once, whatever is asked of it.
 */
export class ImportGraph {
  private readonly files = new Map<string, SourceFile & { dependencies: string[] }>();
  private readonly root: string;

  constructor(root: string) {
    this.root = realpathSync(root);
  }

  /**
   * The test files under `folders` (relative to the root) from which a file that `mentions` says yes to is reached
   * (the test file itself included); paths relative to the root, with forward slashes, sorted.
   */
  testFilesReaching(folders: readonly string[], mentions: (file: SourceFile) => boolean): string[] {
    return this.testFiles(folders).filter((file) => this.reaches(file, mentions));
  }

  /** The test files under `folders` that reach no such file. */
  testFilesNotReaching(folders: readonly string[], mentions: (file: SourceFile) => boolean): string[] {
    return this.testFiles(folders).filter((file) => !this.reaches(file, mentions));
  }

  private testFiles(folders: readonly string[]): string[] {
    return folders
      .flatMap((folder) => testFilesUnder(path.join(this.root, folder)))
      .map((file) => path.relative(this.root, realpathSync(file)).split(path.sep).join('/'))
      .sort();
  }

  /** A walk of its own per question (cycles make a verdict remembered per file wrong), over files read once. */
  private reaches(testFile: string, mentions: (file: SourceFile) => boolean): boolean {
    const start = path.join(this.root, testFile);
    const seen = new Set([start]);
    const pending = [start];
    for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
      const read = this.read(file);
      if (mentions(read)) return true;
      for (const next of read.dependencies) {
        if (seen.has(next)) continue;
        seen.add(next);
        pending.push(next);
      }
    }
    return false;
  }

  private read(file: string): SourceFile & { dependencies: string[] } {
    const known = this.files.get(file);
    if (known) return known;
    const source = readFileSync(file, 'utf8');
    // Static imports, `import()` and `require()` of a string literal; not those in comments.
    const specifiers = ts.preProcessFile(source, true, true).importedFiles.map((reference) => reference.fileName);
    const read = { source, specifiers, dependencies: this.dependencies(file, source, specifiers) };
    this.files.set(file, read);
    return read;
  }

  private dependencies(file: string, source: string, specifiers: readonly string[]): string[] {
    const literalPaths = [...source.matchAll(PATH_LITERAL)].map((match) => match[1] ?? '');
    return [...specifiers, ...literalPaths]
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

function testFilesUnder(folder: string): string[] {
  if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) return [];
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : testFilesUnder(full);
    return /\.test\.tsx?$/.test(entry.name) ? [full] : [];
  });
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
