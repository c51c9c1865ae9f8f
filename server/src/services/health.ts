import { sql } from 'kysely';
import type { Db } from '../db/client.js';
import { ANSWER_TIMEOUT_MS, type DatabaseStatus } from '../db/database-status.js';
import type { DatabaseKind } from '../db/dialect.js';
import { NoAnswerError } from '../db/ping.js';

export type Health =
  | { status: 'ok'; database: DatabaseKind; instanceId: string | null; uptimeSeconds: number; tasks: string[] }
  | { status: 'unavailable'; database: DatabaseKind; instanceId: string | null; problem: string; since: string };

interface HealthDependencies {
  db: Db;
  /** `select 1` on a connection of its own: tells a busy pool from a silent database. */
  pingDatabase(timeoutMs: number): Promise<void>;
  databaseKind: DatabaseKind;
  databaseStatus: DatabaseStatus;
  instanceId: string | null;
  startedAt: Date;
  llm: { tasks: { names(): string[] } };
}

/**
 * Proves the database answers (within 2 s), and says which kind it is; or says since when it has not. No answer in
 * time marks it unreachable, so procedures answer SERVICE_UNAVAILABLE at once instead of waiting on it too.
 */
export async function readHealth(dependencies: HealthDependencies): Promise<Health> {
  const { databaseKind: database, databaseStatus, instanceId } = dependencies;
  const unavailable = (since: Date): Health => ({
    status: 'unavailable',
    database,
    instanceId,
    problem: 'the database is unreachable',
    since: since.toISOString(),
  });
  const outage = databaseStatus.currentOutage();
  if (outage) return unavailable(outage.since);
  const checkedAt = new Date();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ANSWER_TIMEOUT_MS);
  });
  try {
    const answer = await Promise.race([sql`select 1`.execute(dependencies.db), timedOut]);
    // No pooled connection answered in time: every one may be busy, which is no outage, or the database is silent.
    if (answer === 'timeout' && !(await answersOnItsOwnConnection(dependencies))) {
      databaseStatus.reportNoAnswer(ANSWER_TIMEOUT_MS);
      return unavailable(checkedAt);
    }
  } catch (error) {
    if (databaseStatus.reportFailure(error)) return unavailable(checkedAt);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    status: 'ok',
    database,
    instanceId,
    uptimeSeconds: Math.round((Date.now() - dependencies.startedAt.getTime()) / 1000),
    tasks: dependencies.llm.tasks.names(),
  };
}

async function answersOnItsOwnConnection(dependencies: HealthDependencies): Promise<boolean> {
  try {
    await dependencies.pingDatabase(ANSWER_TIMEOUT_MS);
    return true;
  } catch (error) {
    if (error instanceof NoAnswerError || dependencies.databaseStatus.reportFailure(error)) return false;
    throw error;
  }
}
