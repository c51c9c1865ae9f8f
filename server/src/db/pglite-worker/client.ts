import { Worker } from 'node:worker_threads';
import { log } from '../../log.js';
import type { PGliteQueryable } from '../pglite-dialect.js';
import { fromErrorRecord, isWorkerReply, type WorkerReply, type WorkerRequest, type WorkerStart } from './messages.js';
import { type WorkerEntry, workerEntry } from './worker-entry-location.js';

const dbLog = log.withTag('db');

/** The worker thread of an embedded database stopped (or was never started): no statement can run any more. */
export class EmbeddedDatabaseStoppedError extends Error {
  override name = 'EmbeddedDatabaseStoppedError';
}

export interface PGliteWorkerOptions {
  dataDir: string;
  /** A data directory to start from (a tarball from PGlite's dumpDataDir) instead of an empty cluster. */
  loadDataDir?: Blob | undefined;
  /** The code the worker runs; default worker-entry.ts (from the bundle or the sources, see worker-entry-location.ts). */
  entry?: WorkerEntry | undefined;
  /** Run repeated statements as named prepared statements (default true; see pglite-prepared.ts). */
  preparedStatements?: boolean | undefined;
}

interface Pending {
  resolve(reply: WorkerReply): void;
  reject(error: Error): void;
}

/**
 * An embedded PGlite that runs in a worker thread of its own: statements are posted to it and their rows cloned
 * back, so the database's CPU work (all of it synchronous WASM) leaves this thread's event loop free for the calls.
 * Offers what Kysely's PGlite dialect uses. A worker that dies fails every statement waiting on it, and every later
 * one, with EmbeddedDatabaseStoppedError.
 */
export class PGliteWorkerClient implements PGliteQueryable {
  /** Resolves once the database accepts statements; rejects with the reason it could not be opened. */
  readonly waitReady: Promise<void>;
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped: Error | undefined;
  private closing: Promise<void> | undefined;
  private startFailed = false;

  constructor(options: PGliteWorkerOptions) {
    const entry = options.entry ?? workerEntry();
    const start: WorkerStart = {
      dataDir: options.dataDir,
      loadDataDir: options.loadDataDir,
      preparedStatements: options.preparedStatements ?? true,
    };
    this.worker = new Worker(entry.script, { eval: entry.eval, workerData: start });
    let lastError: Error | undefined;
    let opened = () => {};
    let openFailed: (error: Error) => void = () => {};
    this.waitReady = new Promise<void>((resolve, reject) => {
      opened = resolve;
      openFailed = reject;
    });
    // Whoever opens the database awaits this; a failure nobody awaited must not end the process.
    this.waitReady.catch(() => undefined);
    this.worker.on('message', (message: unknown) => {
      if (!isWorkerReply(message)) return;
      if (message.kind === 'ready' || message.kind === 'start-failed') {
        // Opening holds the process (it is awaited); from now on only statements in hand do.
        if (this.pending.size === 0) this.worker.unref();
        if (message.kind === 'ready') opened();
        else {
          this.startFailed = true;
          openFailed(fromErrorRecord(message.error));
        }
        return;
      }
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.settled(message.id);
      waiting.resolve(message);
    });
    this.worker.on('error', (error) => {
      lastError = error;
    });
    this.worker.on('exit', (exitCode) => {
      const reason = lastError ? `: ${lastError.message}` : '';
      const error =
        this.closing !== undefined
          ? new EmbeddedDatabaseStoppedError(`the embedded database at ${options.dataDir} is closed`)
          : new EmbeddedDatabaseStoppedError(
              `the worker thread of the embedded database at ${options.dataDir} stopped (exit code ${exitCode})${reason}`,
              lastError ? { cause: lastError } : {},
            );
      if (this.closing === undefined) dbLog.error(error);
      this.stopped = error;
      openFailed(error);
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    });
  }

  async query<Row>(sql: string, params: unknown[]): Promise<{ rows: Row[]; affectedRows: number | undefined }> {
    const reply = await this.send((id) => ({ kind: 'query', id, sql, params }));
    if (reply.kind === 'failed') throw fromErrorRecord(reply.error);
    if (reply.kind !== 'result') throw new Error(`the PGlite worker answered a statement with "${reply.kind}"`);
    // PGlite parsed the rows in the worker; their type is the caller's to name, as with PGlite's own query<Row>().
    return { rows: reply.rows as Row[], affectedRows: reply.affectedRows };
  }

  /** Closes the database (PGlite writes out what it holds) and ends the worker. */
  close(): Promise<void> {
    this.closing ??= this.closeWorker();
    return this.closing;
  }

  private async closeWorker(): Promise<void> {
    try {
      // A database that never opened has nothing to write out.
      if (!this.stopped && !this.startFailed) {
        const reply = await this.send((id) => ({ kind: 'close', id }));
        if (reply.kind === 'failed') throw fromErrorRecord(reply.error);
      }
    } finally {
      await this.worker.terminate();
    }
  }

  /** Like PGlite in this thread, an idle database does not keep the process alive; one with work in hand does. */
  private send(request: (id: number) => WorkerRequest): Promise<WorkerReply> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise<WorkerReply>((resolve, reject) => {
      try {
        this.worker.postMessage(request(id));
      } catch (error) {
        // A parameter structured clone cannot copy (a function, a symbol): this statement fails, no other.
        reject(error);
        return;
      }
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
    });
  }

  private settled(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }
}
