import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const runFile = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Inside the repository (test-output/ is ignored by git), so the snippets' packages resolve from its node_modules.
const SCRATCH = path.join(REPO_ROOT, 'test-output', `readme-task-${process.pid}`);
// tsc over the server's sources and the SDKs' types: 15 s on the busy 2-core machine.
const TSC_TIMEOUT_MS = 120_000;

/** The TypeScript blocks of one README section, as `{ file, code }`: each block names its file on its first line. */
function sectionSnippets(readme: string, heading: string): { file: string; code: string }[] {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no section "${heading}"`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map(([, block = '']) => {
    const file = /^\/\/ ([\w./-]+\.ts)\b/.exec(block)?.[1];
    if (!file)
      throw new Error(`a TypeScript block of "${heading}" does not start with the file it belongs in:\n${block}`);
    return { file, code: block };
  });
}

afterAll(() => {
  rmSync(SCRATCH, { recursive: true, force: true });
});

describe('README "Adding a task"', () => {
  it('names the file of every block, and its blocks typecheck in the repository with their output typed from the schema', {
    timeout: TSC_TIMEOUT_MS + 10_000,
  }, async () => {
    const snippets = sectionSnippets(readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8'), 'Adding a task');
    expect(snippets.map((snippet) => snippet.file)).toEqual([
      'shared/src/schemas/sentiment.ts',
      'shared/src/index.ts',
      'server/src/tasks/sentiment.ts',
      'server/src/services/sentiment-check.ts',
    ]);

    // A new file is the block; an existing one (shared/src/index.ts) gets the block's lines at its end. The scratch
    // directory overlays the repository (rootDirs), and `@chainlog/shared` points at its index.
    for (const { file, code } of snippets) {
      mkdirSync(path.dirname(path.join(SCRATCH, file)), { recursive: true });
      let existing = '';
      try {
        existing = readFileSync(path.join(REPO_ROOT, file), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      writeFileSync(path.join(SCRATCH, file), `${existing}\n${code}`);
    }
    // Not in the README: that the answer is typed from the schema, not `unknown`.
    writeFileSync(
      path.join(SCRATCH, 'server/src/services/sentiment-check-types.ts'),
      `import type { checkSentiment } from './sentiment-check.js';
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type Checked = Awaited<ReturnType<typeof checkSentiment>>;
export const sentimentIsTyped: Equal<Checked['sentiment'], 'positive' | 'neutral' | 'negative'> = true;
export const intentIsTyped: Equal<Checked['intent'], import('@chainlog/shared').Intent> = true;
`,
    );
    writeFileSync(
      path.join(SCRATCH, 'tsconfig.json'),
      JSON.stringify({
        extends: path.join(REPO_ROOT, 'tsconfig.base.json'),
        compilerOptions: {
          rootDirs: [REPO_ROOT, SCRATCH],
          paths: { '@chainlog/shared': [path.join(SCRATCH, 'shared/src/index.ts')] },
          types: ['node'],
        },
        files: [...snippets.map((snippet) => snippet.file), 'server/src/services/sentiment-check-types.ts'],
      }),
    );

    const tsc = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
    const result = await runFile(
      process.execPath,
      [tsc, '-p', path.join(SCRATCH, 'tsconfig.json'), '--pretty', 'false'],
      {
        cwd: SCRATCH,
        timeout: TSC_TIMEOUT_MS,
      },
    ).then(
      ({ stdout }) => ({ ok: true, output: stdout }),
      (error: { stdout?: string; message: string }) => ({ ok: false, output: error.stdout || error.message }),
    );
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });
});
