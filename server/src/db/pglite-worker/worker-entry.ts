/**
 * The worker thread that runs an embedded PGlite (started by pglite-worker/client.ts): its WASM Postgres parses,
 * plans and executes here, off the event loop of the calls that send it statements. One database per worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import type { PGliteQueryable } from '../pglite-dialect.js';
import { PreparedPGlite } from '../pglite-prepared.js';
import { type WorkerReply, type WorkerRequest, type WorkerStart, isWorkerRequest, toErrorRecord } from './messages.js';

const port = parentPort;
if (!port) throw new Error('pglite-worker/worker-entry.ts runs in a worker thread (see pglite-worker/client.ts)');
const start = parseStart(workerData);
const pglite = new PGlite(start.dataDir, start.loadDataDir ? { loadDataDir: start.loadDataDir } : {});
const queryable: PGliteQueryable = start.preparedStatements ? new PreparedPGlite(pglite) : pglite;

pglite.waitReady.then(
  () => reply({ kind: 'ready' }),
  (error: unknown) => reply({ kind: 'start-failed', error: toErrorRecord(error) }),
);

port.on('message', (message: unknown) => {
  if (isWorkerRequest(message)) void answer(message);
});

/** Statements run one at a time, in the order they came (PreparedPGlite keeps it; PGlite's query() does too). */
async function answer(request: WorkerRequest): Promise<void> {
  try {
    if (request.kind === 'close') {
      // After the statements posted before it.
      await queryable.close();
      reply({ kind: 'closed', id: request.id });
      return;
    }
    const { rows, affectedRows } = await queryable.query(request.sql, request.params);
    reply({ kind: 'result', id: request.id, rows, affectedRows });
  } catch (error) {
    reply({ kind: 'failed', id: request.id, error: toErrorRecord(error) });
  }
}

function reply(message: WorkerReply): void {
  port?.postMessage(message);
}

function parseStart(value: unknown): WorkerStart {
  if (typeof value !== 'object' || value === null || !('dataDir' in value) || typeof value.dataDir !== 'string')
    throw new Error('the PGlite worker was started without a dataDir');
  const loadDataDir = 'loadDataDir' in value && value.loadDataDir instanceof Blob ? value.loadDataDir : undefined;
  const preparedStatements = !('preparedStatements' in value) || value.preparedStatements !== false;
  return { dataDir: value.dataDir, loadDataDir, preparedStatements };
}
