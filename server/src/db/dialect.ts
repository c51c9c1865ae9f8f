import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { type Dialect, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { lockDataDir } from './data-dir-lock.js';

export type DatabaseKind = 'pglite' | 'postgres';

/** Where the data lives: a PostgreSQL server, or an embedded PGlite directory (`memory://` for a throwaway one). */
export type DatabaseTarget =
  | {
      kind: 'postgres';
      url: string;
      searchPath?: string | undefined;
      poolSize?: number | undefined;
      /** `false` commits without waiting for the WAL flush (PostgreSQL's synchronous_commit = off). */
      synchronousCommit?: boolean | undefined;
    }
  | { kind: 'pglite'; dataDir: string };

export interface OpenDialect {
  dialect: Dialect;
  /** The pg pool behind the dialect, for the few statements that want pg's named (prepared) statements. */
  pool?: pg.Pool;
  /** Resolves once the database accepts queries (PGlite starts its WASM Postgres lazily). */
  ready: Promise<void>;
  /** Frees what the dialect holds outside the database (the PGlite data-directory lock). */
  release(): void;
}

/** Builds the Kysely dialect for a target; shared by the server and the root kysely.config.ts. */
export function createDialect(target: DatabaseTarget): OpenDialect {
  if (target.kind === 'pglite') {
    // PGlite creates only the last folder of its path.
    const inMemory = target.dataDir.startsWith('memory://');
    if (!inMemory) mkdirSync(target.dataDir, { recursive: true });
    const release = inMemory ? () => {} : lockDataDir(target.dataDir);
    const pglite = new PGlite(target.dataDir);
    return { dialect: new PGliteDialect(pglite), ready: pglite.waitReady, release };
  }
  const settings = [
    ...(target.searchPath ? [`-c search_path=${target.searchPath}`] : []),
    ...(target.synchronousCommit === false ? ['-c synchronous_commit=off'] : []),
  ];
  // pg lets an `options` parameter in the URL replace the `options` setting, so the two are merged here.
  const url = new URL(target.url);
  const urlOptions = url.searchParams.get('options');
  url.searchParams.delete('options');
  const options = [...(urlOptions ? [urlOptions] : []), ...settings].join(' ');
  const pool = new pg.Pool({
    connectionString: url.toString(),
    max: target.poolSize ?? 20,
    ...(options ? { options } : {}),
  });
  return { dialect: new PostgresDialect({ pool }), pool, ready: Promise.resolve(), release: () => {} };
}

/** DATABASE_URL wins; otherwise PGlite under the data directory. */
export function targetFromSettings(settings: { databaseUrl?: string | undefined; dataDir: string }): DatabaseTarget {
  if (settings.databaseUrl) return { kind: 'postgres', url: settings.databaseUrl };
  return { kind: 'pglite', dataDir: settings.dataDir === 'memory://' ? 'memory://' : `${settings.dataDir}/pgdata` };
}
