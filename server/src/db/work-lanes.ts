import { sql } from 'kysely';
import type { Step } from './bulk-load.js';
import type { Db } from './client.js';
import { SingleSessionError } from './single-session-error.js';

/**
 * The connections a long job's parts run on. One lane: every part in one transaction, one after the other (atomic:
 * a failure leaves nothing behind). Two lanes: two connections of their own, each part a transaction of its own that
 * commits when it ends, so two parts run at once on two cores, and a failed job must undo what it committed.
 */
export interface Lanes {
  readonly count: 1 | 2;
  /** Whether every part runs in the one transaction (one lane). */
  readonly atomic: boolean;
  /**
   * Runs `work` as the part `name` on lane `lane` (0 or 1; on one lane, both mean the one), timed through the
   * job's step, after the parts queued before it on that lane; `prepare` runs first in each transaction.
   */
  run<T>(lane: number, name: string, work: (db: Db) => Promise<T>): Promise<T>;
}

/**
 * Opens `count` lanes on `db` for `work`: on one, the transaction, with `prepare` run once at its start; on two, two
 * connections held from the pool until `work` ends, with `prepare` run at the start of each part's transaction.
 * Throws SingleSessionError, before `work` starts, when two are asked of a database that is one session (PGlite):
 * refused rather than run on one, since one lane is one transaction, not the parts committing as they end that two
 * promise, and the caller, which opened the database, knows its kind.
 */
export async function withLanes<T>(
  db: Db,
  count: 1 | 2,
  prepare: (transaction: Db) => Promise<void>,
  step: Step,
  work: (lanes: Lanes) => Promise<T>,
): Promise<T> {
  if (count === 1) {
    return db.transaction().execute(async (transaction) => {
      await prepare(transaction);
      return work(serialLanes(transaction, step));
    });
  }
  if (await isSingleSession(db)) throw new SingleSessionError(count);
  return db
    .connection()
    .execute((first) => db.connection().execute((second) => work(connectionLanes([first, second], prepare, step))));
}

/** PostgreSQL's single-user mode (PGlite's): no postmaster, so no other connection will ever open. */
async function isSingleSession(db: Db): Promise<boolean> {
  const { rows } = await sql<{ single: boolean }>`
    select backend_type = 'standalone backend' as single from pg_stat_activity where pid = pg_backend_pid()`.execute(
    db,
  );
  return rows[0]?.single === true;
}

/** One transaction; parts queued on either lane run one at a time, in the order they were asked for. */
function serialLanes(transaction: Db, step: Step): Lanes {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    count: 1,
    atomic: true,
    run(_lane, name, work) {
      const result = queue.then(() => step(name, () => work(transaction)));
      // The next part waits for this one to end, but not to succeed: its caller sees the failure.
      queue = result.catch(() => undefined);
      return result;
    },
  };
}

function connectionLanes(connections: [Db, Db], prepare: (transaction: Db) => Promise<void>, step: Step): Lanes {
  const queues: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
  return {
    count: 2,
    atomic: false,
    run(lane, name, work) {
      const index = lane === 0 ? 0 : 1;
      const connection = connections[index];
      const result = (queues[index] ?? Promise.resolve()).then(() =>
        step(`[${index + 1}] ${name}`, () =>
          connection.transaction().execute(async (transaction) => {
            await prepare(transaction);
            return work(transaction);
          }),
        ),
      );
      queues[index] = result.catch(() => undefined);
      return result;
    },
  };
}

/**
 * Waits for every promise to settle, then throws what failed, if anything: unlike Promise.all, nothing of the job is
 * still running when the caller goes on to undo it. One failure is thrown as it is; several (each error once, a lane
 * that waited for a failed part rethrows that part's error) as an AggregateError of them in the order they failed,
 * the first as its `cause`, its message naming each.
 */
export async function allSettled(promises: readonly Promise<unknown>[]): Promise<void> {
  const errors: unknown[] = [];
  await Promise.all(
    promises.map((promise) =>
      promise.catch((error: unknown) => {
        if (!errors.includes(error)) errors.push(error);
      }),
    ),
  );
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    const messages = errors.map((error) => (error instanceof Error ? error.message : String(error)));
    throw new AggregateError(errors, `${errors.length} parts failed: ${messages.join('; ')}`, { cause: errors[0] });
  }
}
