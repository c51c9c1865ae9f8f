import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
 * vitest globalSetup of the PGlite project: migrates one embedded database and dumps its data directory, so that each
 * test database starts from it instead of running initdb and every migration again (most of a test file's start-up
 * on PGlite).
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const folder = mkdtempSync(path.join(tmpdir(), 'chainlog-pglite-template-'));
  const file = path.join(folder, 'migrated.tar');
  const pglite = new PGlite('memory://');
  const db = new Kysely<unknown>({ dialect: new PGliteDialect(pglite) });
  try {
    await migrateToLatest(db);
    const dump = await pglite.dumpDataDir('none');
    writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  } finally {
    await db.destroy();
  }
  project.provide('pgliteTemplate', file);
  return () => rmSync(folder, { recursive: true, force: true });
}

/** The migrated data directory, as PGlite's loadDataDir takes it. */
export function readPgliteTemplate(file: string): Blob {
  return new Blob([readFileSync(file)]);
}
