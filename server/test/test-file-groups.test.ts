import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_MARKER, databaseFreeTestFiles } from './database-free-tests.js';
import { ImportGraph } from './import-graph.js';
import { browserTestFiles, processStartingTestFiles } from './process-starting-tests.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REPO_TEST_FOLDERS = ['server', 'shared', 'client/src', 'examples', 'e2e', 'scripts', 'bench'];
// Spelled apart, so that this file's own source names neither module.
const CHILD_PROCESS = ['node', 'child_process'].join(':');
const PLAYWRIGHT = ['playwright', 'core'].join('-');

describe('test file groups on a small repository', () => {
  let root: string;
  const files: Record<string, string> = {
    'db/open.ts': `export const kind = process.env.${DATABASE_MARKER};`,
    'db/harness.ts': `import { kind } from './open.js';\nexport const harness = () => kind;`,
    'lib/cycle-a.ts': `import { b } from './cycle-b.js';\nexport const a = () => b();`,
    'lib/cycle-b.ts': `import { a } from './cycle-a.js';\nexport const b = (): number => (a ? 1 : 0);`,
    // loop-a reaches the marker after loop-b, which reaches it only back through loop-a.
    'lib/loop-a.ts': `import './loop-b.js';\nimport '../db/harness.js';`,
    'lib/loop-b.ts': `import './loop-a.js';`,
    'lib/pure.ts': `import { z } from 'zod';\nexport const schema = z.string();`,
    'lib/child.ts': `import '../db/open.js';`,
    'packages/shared/package.json': JSON.stringify({ name: '@fixture/shared', exports: { '.': './index.ts' } }),
    'packages/shared/index.ts': `export * from '../../db/harness.js';`,
    'tests/pure.test.ts': `import { schema } from '../lib/pure.js';\nimport { a } from '../lib/cycle-a.js';\nschema.parse(a());`,
    'tests/loop-a.test.ts': `import '../lib/loop-a.js';`,
    'tests/loop-b.test.ts': `import '../lib/loop-b.js';`,
    'tests/direct.test.ts': `const onPostgres = process.env.${DATABASE_MARKER} === 'postgres';`,
    'tests/transitive.test.ts': `import { harness } from '../db/harness.js';\nharness();`,
    'tests/type-only.test.ts': `import type { harness } from '../db/harness.js';\nexport type H = typeof harness;`,
    'tests/dynamic.test.ts': `await import('../db/harness.js');`,
    'tests/spawned.test.ts': `spawn(process.execPath, ['--import', 'tsx', 'lib/child.ts']);`,
    'tests/worker-url.test.ts': `new Worker(new URL('../lib/child.ts', import.meta.url));`,
    'tests/workspace.test.ts': `import { harness } from '@fixture/shared';\nharness();`,
    'lib/starts-child.ts': `import { spawn } from '${CHILD_PROCESS}';\nexport const start = () => spawn('node');`,
    'lib/browser.ts': `import { chromium } from "${PLAYWRIGHT}";\nexport const launch = () => chromium.launch();`,
    'lib/uses-server.ts': `export { start } from './starts-child.js';`,
    'process-tests/in-process.test.ts': `import { schema } from '../lib/pure.js';\nschema.parse('');`,
    'process-tests/direct.test.ts': `import * as child from '${CHILD_PROCESS}';\nchild.spawnSync('true');`,
    'process-tests/transitive.test.ts': `import { start } from '../lib/uses-server.js';\nstart();`,
    'process-tests/browser.test.ts': `const { launch } = await import('../lib/browser.js');\nawait launch();`,
    'process-tests/dynamic.test.ts': `const { execFileSync } = await import('${CHILD_PROCESS}');\nexecFileSync('true');`,
    'process-tests/required.test.ts': `const child = require("${CHILD_PROCESS.slice('node:'.length)}");\nchild.spawnSync('true');`,
    'process-tests/dynamic-browser.test.ts': `const { chromium } = await import( '${PLAYWRIGHT}' );\nawait chromium.launch();`,
    'process-tests/mentions-spawn.test.ts': `// spawn(process.execPath) is only a comment here`,
    'process-tests/mentions-module.test.ts': `// the child_process module is named here, never imported`,
    'process-tests/commented-out.test.ts': `// import { spawn } from '${CHILD_PROCESS}';\nexport const off = true;`,
    'process-tests/effects-only.test.ts': `import '${CHILD_PROCESS}';`,
    'process-tests/backtick.test.ts': `const child = await import(\`${CHILD_PROCESS}\`);\nchild.spawnSync('true');`,
  };

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'chainlog-database-free-'));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    }
    mkdirSync(path.join(root, 'node_modules/@fixture'), { recursive: true });
    symlinkSync(path.join(root, 'packages/shared'), path.join(root, 'node_modules/@fixture/shared'), 'dir');
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps only the test files from which no import, dynamic import, spawned or worker path reaches the marker', () => {
    expect(databaseFreeTestFiles(new ImportGraph(root), ['tests'])).toEqual(['tests/pure.test.ts']);
  });

  it('keeps the test files that import or require child_process or playwright-core, themselves or through files they reach', () => {
    expect(processStartingTestFiles(new ImportGraph(root), ['process-tests'])).toEqual([
      'process-tests/backtick.test.ts',
      'process-tests/browser.test.ts',
      'process-tests/direct.test.ts',
      'process-tests/dynamic-browser.test.ts',
      'process-tests/dynamic.test.ts',
      'process-tests/effects-only.test.ts',
      'process-tests/required.test.ts',
      'process-tests/transitive.test.ts',
    ]);
  });

  it('keeps, of those, the ones that reach playwright-core as the browser files', () => {
    expect(browserTestFiles(new ImportGraph(root), ['process-tests'])).toEqual([
      'process-tests/browser.test.ts',
      'process-tests/dynamic-browser.test.ts',
    ]);
  });
});

describe('processStartingTestFiles on this repository', () => {
  it('lists the browser suites and the tests of processes, and none of the schema tests', () => {
    const starting = processStartingTestFiles(new ImportGraph(REPO_ROOT), REPO_TEST_FOLDERS);

    // Spelled apart: a path in a string is followed like an import, and would put this file among them.
    expect(starting).toContain(['server', 'src', 'production-start.test.ts'].join('/'));
    expect(starting.filter((file) => file.startsWith('e2e/'))).toHaveLength(e2eTestFiles().length);
    expect(starting.filter((file) => file.startsWith('shared/'))).toEqual([]);
    expect(browserTestFiles(new ImportGraph(REPO_ROOT), REPO_TEST_FOLDERS)).toEqual(
      e2eTestFiles().map((file) => `e2e/${file}`),
    );
  });
});

describe('databaseFreeTestFiles on this repository', () => {
  it('never lists a test file that imports the test database helper or reads the marker itself', () => {
    const free = databaseFreeTestFiles(new ImportGraph(REPO_ROOT), REPO_TEST_FOLDERS);
    const usingDatabase = free.filter((file) => {
      const source = readFileSync(path.join(REPO_ROOT, file), 'utf8');
      return source.includes('test/test-database.js') || source.includes(DATABASE_MARKER);
    });

    expect(free.length).toBeGreaterThan(0);
    expect(usingDatabase).toEqual([]);
  });
});

function e2eTestFiles(): string[] {
  return readdirSync(path.join(REPO_ROOT, 'e2e')).filter((name) => name.endsWith('.test.ts'));
}
