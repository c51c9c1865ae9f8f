import { AsyncLocalStorage } from 'node:async_hooks';
import { validate as isUuid } from 'uuid';
import { uuidv7 } from '../uuid-v7.js';
import { InvalidChainIdError } from './errors/index.js';

const chainStorage = new AsyncLocalStorage<string>();

/** A new time-ordered chain id (UUID v7), so ids sort by creation. */
export function newChainId(): string {
  return uuidv7();
}

/** The chain the current async context runs in, if any. */
export function currentChainId(): string | undefined {
  return chainStorage.getStore();
}

/**
 * Runs `work` inside a chain: every `ask()` under it, however deep, joins that chain unless it passes its own
 * `chainId`. With no id, a new chain is started.
 * @throws InvalidChainIdError when `chainId` is not a UUID.
 */
export function runInChain<T>(chainId: string | undefined, work: (chainId: string) => T): T {
  const id = chainId === undefined ? newChainId() : checkChainId(chainId);
  return chainStorage.run(id, () => work(id));
}

/** @throws InvalidChainIdError when `chainId` is not a UUID. */
export function checkChainId(chainId: string): string {
  if (!isUuid(chainId)) throw new InvalidChainIdError(chainId);
  return chainId;
}
