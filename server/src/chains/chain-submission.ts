import type { Db } from '../db/client.js';
import type { DatabaseStatus } from '../db/database-status.js';
import { insertChain, removeUnconfirmedChain } from '../db/queries/chains.js';
import type { NewChain } from '../db/tables/chain.js';
import { toJsonb } from '../db/jsonb.js';
import { newChainId } from '../llm/chain-context.js';
import { log } from '../log.js';
import type { ChainDefinition } from './chain-definition.js';
import type { ChainLifecycle } from './chain-lifecycle.js';
import { ChainQueueFullError } from './chain-queue-full-error.js';
import type { ChainJobs } from './jobs/chain-jobs.js';

const submissionLog = log.withTag('chains');

/**
 * What `submit` stores besides the chain and its job, in the same transaction (the chain's own first rows), and how
 * to remove them when the submission is withdrawn.
 */
export interface ChainRows {
  insert(transaction: Db, chainId: string): Promise<void>;
  remove(transaction: Db, chainId: string): Promise<void>;
}

export interface SubmissionOptions {
  db: Db;
  jobs: ChainJobs;
  lifecycle: ChainLifecycle;
  instanceId: string | null;
  /** Chains the submitting runner runs at once, and chains that may wait beyond its free room (ChainRunnerOptions). */
  maxRunning: number;
  maxWaiting: number;
  databaseStatus?: DatabaseStatus | undefined;
}

/**
 * Stores a chain of `definition` (status running) with its input, the rows `rows` adds, and its job, in one
 * transaction; returns the chain's id. A transaction cut off mid-commit may have landed: the caller is told it
 * failed, so once the database answers it is withdrawn.
 * @throws ChainQueueFullError when `maxWaiting` chains already wait (nothing is stored).
 */
export async function storeSubmission<Input>(
  options: SubmissionOptions,
  definition: ChainDefinition<Input>,
  input: Input,
  rows: ChainRows | undefined,
): Promise<string> {
  const { db, jobs, maxRunning, maxWaiting, instanceId } = options;
  const chain: NewChain = {
    id: newChainId(),
    name: definition.name,
    status: 'running',
    input: toJsonb(definition.input.parse(input)),
    instance_id: instanceId,
  };
  try {
    await db.transaction().execute(async (transaction) => {
      const { queued, runningHere } = await jobs.backlogForSubmission(transaction, instanceId);
      if (queued >= maxWaiting + Math.max(0, maxRunning - runningHere)) throw new ChainQueueFullError(maxWaiting);
      await insertChain(transaction, chain);
      await rows?.insert(transaction, chain.id);
      await jobs.send(transaction, chain.id);
    });
  } catch (error) {
    if (!(error instanceof ChainQueueFullError) && options.databaseStatus?.reportFailure(error))
      void withdraw(options, chain, rows);
    throw error;
  }
  return chain.id;
}

async function withdraw(options: SubmissionOptions, chain: NewChain, rows: ChainRows | undefined): Promise<void> {
  const { db, jobs, lifecycle } = options;
  try {
    const landed = await lifecycle.whileReachable(() =>
      removeUnconfirmedChain(db, chain, async (transaction) => {
        // Taken already (an instance polled the queue first): it runs, and its rows are not pulled from under it.
        if (!(await jobs.removeQueued(transaction, chain.id))) throw new AlreadyRunningError();
        await rows?.remove(transaction, chain.id);
      }),
    );
    if (landed)
      submissionLog.warn(
        `chain ${chain.id}: its submission committed but the caller was told it failed, so it was withdrawn`,
      );
  } catch (error) {
    if (error instanceof AlreadyRunningError) {
      submissionLog.warn(
        `chain ${chain.id}: its submission committed but the caller was told it failed; an instance already runs it, so it stays`,
      );
      return;
    }
    submissionLog.error(`chain ${chain.id}: a submission whose commit was not confirmed could not be withdrawn`, error);
  }
}

/** A withdrawal that found the chain's job already taken: the transaction is rolled back and the chain runs. */
class AlreadyRunningError extends Error {
  override name = 'AlreadyRunningError';
}

/** Refused: the server is shutting down and starts no new chains. */
export class ShuttingDownError extends Error {
  override name = 'ShuttingDownError';
  constructor() {
    super('the server is shutting down and starts no new chains; try again shortly');
  }
}
