import { AsyncLocalStorage } from 'node:async_hooks';
import { validate as isUuid } from 'uuid';
import { uuidv7 } from '../uuid-v7.js';
import { InvalidChainIdError } from './errors/index.js';

/** The chain an async context runs in, and the step of it when the chain runner runs one (runInStep). */
interface ChainScope {
  chainId: string;
  step?: number;
}

const chainStorage = new AsyncLocalStorage<ChainScope>();

/** A new time-ordered chain id (UUID v7), so ids sort by creation. */
export function newChainId(): string {
  return uuidv7();
}

/** The chain the current async context runs in, if any. */
export function currentChainId(): string | undefined {
  return chainStorage.getStore()?.chainId;
}

/** The step of chain `chainId` the current async context runs in (runInStep), if any. */
export function currentChainStep(chainId: string): number | undefined {
  const scope = chainStorage.getStore();
  return scope?.chainId === chainId ? scope.step : undefined;
}

/**
 * Runs `work` inside a chain: every `ask()` under it, however deep, joins that chain unless it passes its own
 * `chainId`. With no id, a new chain is started.
 * @throws InvalidChainIdError when `chainId` is not a UUID.
 */
export function runInChain<T>(chainId: string | undefined, work: (chainId: string) => T): T {
  const id = chainId === undefined ? newChainId() : checkChainId(chainId);
  return chainStorage.run({ chainId: id }, () => work(id));
}

/**
 * Runs `work` as step `step` of chain `chainId` (the chain runner does, for each step): every `ask()` under it that
 * joins that chain logs its attempts as the step's (inference_log.chain_step), so a resumed chain finds them.
 */
export function runInStep<T>(chainId: string, step: number, work: () => T): T {
  return chainStorage.run({ chainId, step }, work);
}

/** @throws InvalidChainIdError when `chainId` is not a UUID. */
export function checkChainId(chainId: string): string {
  if (!isUuid(chainId)) throw new InvalidChainIdError(chainId);
  // As the database prints it, so the id ask() returns and the events' key are the one SQL shows.
  return chainId.toLowerCase();
}
