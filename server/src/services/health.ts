import { sql } from 'kysely';
import type { Db } from '../db/client.js';
import type { DatabaseKind } from '../db/dialect.js';

export interface Health {
  status: 'ok';
  database: DatabaseKind;
  uptimeSeconds: number;
  tasks: string[];
}

/** Proves the database answers, and says which kind it is. */
export async function readHealth(dependencies: {
  db: Db;
  databaseKind: DatabaseKind;
  startedAt: Date;
  llm: { tasks: { names(): string[] } };
}): Promise<Health> {
  await sql`select 1`.execute(dependencies.db);
  return {
    status: 'ok',
    database: dependencies.databaseKind,
    uptimeSeconds: Math.round((Date.now() - dependencies.startedAt.getTime()) / 1000),
    tasks: dependencies.llm.tasks.names(),
  };
}
