import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import type { TestProject } from 'vitest/node';
import { migrateToLatest } from '../src/db/migrate.js';
import { PGliteDialect } from '../src/db/pglite-dialect.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A tarball of a migrated PGlite data directory, made once per run (see setup below). */
    pgliteTemplate: string;
  }
}

/**
 * vitest globalSetup of the PGlite projects: migrates one embedded database and dumps its data directory, so that each
 * test database starts from it instead of running initdb and every migration again (most of a test file's start-up
 * on PGlite). Made once per run, whichever PGlite project sets up first (every project's set-up runs in the vitest
 * process), and removed when the last one tears down.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const run = runTemplate();
  run.made ??= makeTemplate();
  run.users++;
  const { folder, file } = await run.made;
  project.provide('pgliteTemplate', file);
  return () => {
    run.users--;
    if (run.users === 0) rmSync(folder, { recursive: true, force: true });
  };
}

interface RunTemplate {
  made?: Promise<{ folder: string; file: string }>;
  users: number;
}

// On globalThis: vitest loads this module once per project, in the one vitest process.
const RUN_TEMPLATE = Symbol.for('chainlog.pgliteTemplate');

function runTemplate(): RunTemplate {
  const holder = globalThis as { [RUN_TEMPLATE]?: RunTemplate };
  holder[RUN_TEMPLATE] ??= { users: 0 };
  return holder[RUN_TEMPLATE];
}

async function makeTemplate(): Promise<{ folder: string; file: string }> {
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
  return { folder, file };
}

/** The migrated data directory, as PGlite's loadDataDir takes it. */
export function readPgliteTemplate(file: string): Blob {
  return new Blob([readFileSync(file)]);
}

/**
 * The migrated data directory written out as the folder `pgdata` (made) of a file-backed PGlite. The dump is a ustar
 * archive of folders and files (PGlite's own tar), read here rather than by the system's tar: a test that imports
 * child_process counts as one that starts processes (see process-starting-tests.ts).
 */
export function unpackPgliteTemplate(file: string, pgdata: string): void {
  const archive = readFileSync(file);
  const field = (offset: number, length: number) =>
    archive.toString('latin1', offset, offset + length).replace(/\0.*$/s, '');
  mkdirSync(pgdata, { recursive: true });
  for (let header = 0; header + 512 <= archive.length && archive[header] !== 0; ) {
    // POSIX ustar keeps a name's start in a prefix field; GNU tar's "ustar  " has other fields there.
    const prefix = archive.toString('latin1', header + 257, header + 263) === 'ustar\0' ? field(header + 345, 155) : '';
    const name = path.join(prefix, field(header, 100));
    const size = Number.parseInt(field(header + 124, 12).trim() || '0', 8);
    const type = field(header + 156, 1);
    const target = path.join(pgdata, name);
    if (target !== pgdata && !target.startsWith(`${pgdata}${path.sep}`))
      throw new Error(`the template holds a path outside its folder: ${name}`);
    if (type === '5') mkdirSync(target, { recursive: true });
    else if (type === '0' || type === '') {
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, archive.subarray(header + 512, header + 512 + size));
    } else throw new Error(`the template holds an entry of type ${type}: ${name}`);
    header += 512 + Math.ceil(size / 512) * 512;
  }
}
