import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import type { TestProject } from 'vitest/node';
import { migrateToLatest } from '../src/db/migrate.js';
import { WORKER_BUNDLE_NAME } from '../src/db/pglite-worker/worker-entry-location.js';
import { PGliteDialect } from '../src/db/pglite-dialect.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A tarball of a migrated PGlite data directory, made once per run (see setup below). */
    pgliteTemplate: string;
    /** The PGlite worker thread's code as one JavaScript file, built once per run (see setup below). */
    pgliteWorkerScript: string;
  }
}

/**
 * vitest globalSetup of the PGlite projects: migrates one embedded database and dumps its data directory, so that each
 * test database starts from it instead of running initdb and every migration again (most of a test file's start-up
 * on PGlite), and bundles the worker thread those databases run (see bundleWorker). Made once per run, whichever
 * PGlite project sets up first (every project's set-up runs in the vitest process), and removed when the last one
 * tears down.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const run = runTemplate();
  run.made ??= makeTemplate();
  run.users++;
  const { folders, file, workerScript } = await run.made;
  project.provide('pgliteTemplate', file);
  project.provide('pgliteWorkerScript', workerScript);
  return () => {
    run.users--;
    if (run.users === 0) for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  };
}

interface Made {
  folders: string[];
  file: string;
  workerScript: string;
}

interface RunTemplate {
  made?: Promise<Made>;
  users: number;
}

// On globalThis: vitest loads this module once per project, in the one vitest process.
const RUN_TEMPLATE = Symbol.for('chainlog.pgliteTemplate');

function runTemplate(): RunTemplate {
  const holder = globalThis as { [RUN_TEMPLATE]?: RunTemplate };
  holder[RUN_TEMPLATE] ??= { users: 0 };
  return holder[RUN_TEMPLATE];
}

async function makeTemplate(): Promise<Made> {
  const folder = mkdtempSync(path.join(tmpdir(), 'chainlog-pglite-template-'));
  const file = path.join(folder, 'migrated.tar');
  const pglite = new PGlite('memory://');
  const db = new Kysely<unknown>({ dialect: new PGliteDialect(pglite) });
  try {
    await migrateToLatest(db);
    // Without the template databases, which no test creates a database from: each test database then unpacks and
    // starts 25 MB instead of 40 (1.1 s of CPU instead of 1.4).
    await pglite.exec(`update pg_database set datistemplate = false where datname in ('template0', 'template1')`);
    for (const statement of ['drop database template0', 'drop database template1', 'checkpoint']) {
      await pglite.exec(statement);
    }
    const dump = await pglite.dumpDataDir('none');
    writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  } finally {
    await db.destroy();
  }
  const workerFolder = fileURLToPath(
    new URL(`../../node_modules/.cache/chainlog-pglite-worker-${process.pid}`, import.meta.url),
  );
  return { folders: [folder, workerFolder], file, workerScript: await bundleWorker(workerFolder) };
}

/**
 * The worker's code bundled as `npm run build` bundles it. From the sources each worker thread would start tsx's
 * loader (a thread of its own) and compile the worker's TypeScript again: 0.8 s of CPU of the 2.3 s a test database
 * took to open. Inside node_modules, so that Node finds the packages the bundle leaves external.
 */
async function bundleWorker(outdir: string): Promise<string> {
  // Imported here: every test database's module imports this file for readPgliteTemplate.
  const [{ build }, { serverBundleOptions, WORKER_SOURCE }] = await Promise.all([
    import('esbuild'),
    import('../build/bundle-options.js'),
  ]);
  await build({ ...serverBundleOptions, entryPoints: { [WORKER_BUNDLE_NAME]: WORKER_SOURCE }, outdir });
  return path.join(outdir, `${WORKER_BUNDLE_NAME}.js`);
}

/** The migrated data directory, as PGlite's loadDataDir takes it. */
export function readPgliteTemplate(file: string): Blob {
  return new Blob([readFileSync(file)]);
}
