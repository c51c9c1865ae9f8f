import type { DatabaseHandle } from './client.js';
import {
  type LogStatement,
  MAX_BATCH_ROWS,
  createLogStatements,
  requestTemplateInsert,
} from './inference-log-statements.js';
import type { NewInferenceLog } from './tables/inference-log.js';
import type { NewRequestTemplate } from './tables/request-template.js';

const DEADLOCK_DETECTED = '40P01';
/**
 * The longest a pending row waits for others to share its statement; the window opens with the first pending row.
 * Nobody waits for a pending row (it only shows a call in flight), and a call answered sooner writes one finished
 * row instead of two.
 */
export const PENDING_ROWS_WINDOW_MS = 2;

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface QueuedRow {
  row: NewInferenceLog;
  waiter: Waiter;
  /** The queued pending row of the same id that this row took the place of: written on its own if this one fails. */
  replaced?: QueuedRow | undefined;
}

export type ExecuteLogStatement = (statement: LogStatement) => Promise<void>;

export interface InferenceLogWriter {
  /**
   * Writes a pending or a finished row; resolves once it is committed. A finished row always wins over the
   * pending row of the same id, whichever reaches the database first. The row's request template, when given, is
   * stored first (once per writer: committed before any row that names it).
   */
  write(row: NewInferenceLog, template?: NewRequestTemplate): Promise<void>;
}

export interface InferenceLogWriterOptions {
  /**
   * How many statements may run at once. A statement of pending rows alone takes at most one of them, and only
   * while no finished row waits.
   */
  concurrency: number;
  pendingRowsWindowMs?: number;
}

/**
 * Group commit for inference_log, in two lanes. Finished rows (their callers wait) go out at the end of the
 * event-loop turn, every finished row queued by then in one multi-row statement. Pending rows gather for
 * PENDING_ROWS_WINDOW_MS; then they ride along with the next statement of finished rows, or go in one of their own
 * when none waits; a call that finishes first takes its pending row's place. Under load most statements carry both
 * lanes, so a call costs about one commit (one WAL flush shared by the batch) rather than two. Every caller waits
 * for its own row to be committed. A batch that fails is split until the bad row is found, so one bad row fails
 * only its own caller.
 */
export function createInferenceLogWriter(
  execute: ExecuteLogStatement,
  options: InferenceLogWriterOptions,
): InferenceLogWriter {
  const statementFor = createLogStatements();
  const pendingWindowMs = options.pendingRowsWindowMs ?? PENDING_ROWS_WINDOW_MS;
  const finished: QueuedRow[] = [];
  // By id, so the finished row of a call can take its pending row out of the queue.
  const pending = new Map<string, QueuedRow>();
  let running = 0;
  let pendingRunning = false;
  let pendingDue = false;
  let pendingTimer: NodeJS.Timeout | undefined;
  let pumpScheduled = false;
  // By id: stored, or being stored. A failed store is forgotten, so the next row that names it tries again.
  const templates = new Map<string, Promise<void>>();

  function storeTemplate(template: NewRequestTemplate): Promise<void> {
    const known = templates.get(template.id);
    if (known !== undefined) return known;
    const storing = execute(requestTemplateInsert(template));
    templates.set(template.id, storing);
    storing.catch(() => templates.delete(template.id));
    return storing;
  }

  function queue(row: NewInferenceLog): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const queued: QueuedRow = { row, waiter: { resolve, reject }, replaced: pending.get(row.id) };
      if (row.status === 'pending') {
        pending.set(row.id, queued);
        openPendingWindow();
        return;
      }
      if (pending.delete(row.id) && pending.size === 0) closePendingWindow();
      finished.push(queued);
      pumpAtTurnEnd();
    });
  }

  // Waits for the end of the current event-loop turn, so the rows of a burst of answers share one statement.
  function pumpAtTurnEnd(): void {
    if (pumpScheduled) return;
    pumpScheduled = true;
    setImmediate(() => {
      pumpScheduled = false;
      pump();
    });
  }

  function openPendingWindow(): void {
    pendingTimer ??= setTimeout(() => {
      pendingTimer = undefined;
      pendingDue = true;
      pump();
    }, pendingWindowMs);
  }

  function pump(): void {
    while (running < options.concurrency) {
      const pendingDueRows = pendingDue && pending.size > 0;
      if (finished.length > 0) {
        const batch = finished.splice(0, MAX_BATCH_ROWS);
        // Due pending rows ride along: one statement and one commit for both lanes, and neither holds the other back.
        if (pendingDueRows) batch.push(...takePendingRows(MAX_BATCH_ROWS - batch.length));
        start(batch, false);
      } else if (pendingDueRows && !pendingRunning) {
        start(takePendingRows(MAX_BATCH_ROWS), true);
      } else {
        return;
      }
    }
  }

  function takePendingRows(limit: number): QueuedRow[] {
    const batch: QueuedRow[] = [];
    for (const [id, queued] of pending) {
      if (batch.length === limit) return batch;
      batch.push(queued);
      pending.delete(id);
    }
    closePendingWindow();
    return batch;
  }

  // Once its rows are gone (taken, or replaced by their finished rows), the window closes: the next pending row
  // opens a window of its own.
  function closePendingWindow(): void {
    pendingDue = false;
    clearTimeout(pendingTimer);
    pendingTimer = undefined;
  }

  function start(batch: QueuedRow[], pendingLane: boolean): void {
    running++;
    if (pendingLane) pendingRunning = true;
    void flush(batch).finally(() => {
      running--;
      if (pendingLane) pendingRunning = false;
      pump();
    });
  }

  // Halves a failed batch rather than retrying each row at once, so one bad row costs a few statements and
  // the retries keep to this batch's slot.
  async function flush(batch: QueuedRow[]): Promise<void> {
    try {
      await writeRows(latestRowPerId(batch));
      for (const queued of batch) settle(queued);
    } catch (error) {
      if (batch.length > 1) {
        const middle = Math.ceil(batch.length / 2);
        await flush(batch.slice(0, middle));
        await flush(batch.slice(middle));
        return;
      }
      const [failed] = batch;
      if (!failed) return;
      failed.waiter.reject(error);
      // The call's pending row still shows that it ran.
      if (failed.replaced) await flush([failed.replaced]);
    }
  }

  async function writeRows(rows: NewInferenceLog[], retryDeadlock = true): Promise<void> {
    try {
      await execute(statementFor(rows));
    } catch (error) {
      // Rows are locked in id order, so a deadlock is unlikely; when PostgreSQL picks us as its victim, retry once.
      if (retryDeadlock && (error as { code?: unknown }).code === DEADLOCK_DETECTED) return writeRows(rows, false);
      throw error;
    }
  }

  return {
    write(row, template) {
      if (!template) return queue(row);
      // A row waits for its template (one microtask once stored), so rows keep the order they were written in.
      return storeTemplate(template).then(() => queue(row));
    },
  };
}

/** Resolves the row's caller, and the caller of each row it took the place of. */
function settle(queued: QueuedRow): void {
  queued.waiter.resolve();
  if (queued.replaced) settle(queued.replaced);
}

/**
 * One upsert may not touch a row twice: keep the last row of an id. Sorted by id so concurrent statements lock
 * rows in the same order (pending rows arrive in start order, finished ones in answer order: unsorted, two batches
 * could deadlock).
 */
function latestRowPerId(batch: readonly QueuedRow[]): NewInferenceLog[] {
  const byId = new Map<string, NewInferenceLog>();
  for (const { row } of batch) byId.set(row.id, row);
  return [...byId.values()].sort((left, right) => (left.id < right.id ? -1 : left.id > right.id ? 1 : 0));
}

/** The writer for a database as opened: its log connection(s), as many flushes as they allow. */
export function createLogWriterFor(database: DatabaseHandle): InferenceLogWriter {
  return createInferenceLogWriter(database.executeLogStatement, { concurrency: database.logConcurrency });
}
