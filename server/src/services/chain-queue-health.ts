import type { ChainRunner } from '../chains/chain-runner.js';

/**
 * The chain queue as this instance sees it. `queue` is `unreadable` while its runner cannot take chains (it looks
 * again after a growing wait); why, and since when, only to a request that could call /trpc.
 */
export interface ChainQueueHealth {
  queue: 'ok' | 'unreadable';
  /** Chains this instance runs now. */
  running: number;
  /** Chains queued for any instance to take; absent when the queue could not be counted. */
  waiting?: number;
  problem?: { since: string; failures: number; reason: string };
}

export async function readChainQueueHealth(chains: ChainRunner, trusted: boolean): Promise<ChainQueueHealth> {
  const problem = chains.queueProblem();
  const { running, waiting } = await chains.counts();
  const health: ChainQueueHealth = {
    queue: problem ? 'unreadable' : 'ok',
    running,
    ...(waiting === undefined ? {} : { waiting }),
  };
  if (problem && trusted)
    health.problem = { since: problem.since.toISOString(), failures: problem.failures, reason: problem.reason };
  return health;
}
