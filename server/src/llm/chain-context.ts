import { AsyncLocalStorage } from 'node:async_hooks';
import { validate as isUuid } from 'uuid';
import { uuidv7 } from '../uuid-v7.js';
import { InvalidChainIdError } from './errors/index.js';

/** The chain an async context runs in, and the step of it when the chain runner runs one (runInStep). */
interface ChainScope {
  chainId: string;
  step?: number;
  resumed?: ResumedCall;
}

/**
 * The call a resumed step goes on from: its last call, cut off when the step's process died. The ask() of the same
 * task that goes on from the same attempt (its `firstAttempt`) logs its attempts as that call's.
 */
export interface ResumedCall {
  name: string;
  firstAttempt: number;
  callId: string;
  /** Set once an ask() went on with it: a step's call is resumed once. */
  taken?: boolean;
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
export function runInStep<T>(chainId: string, step: number, work: () => T, resumed?: ResumedCall): T {
  return chainStorage.run(resumed ? { chainId, step, resumed } : { chainId, step }, work);
}

/** The call a resumed step's ask() of task `name` from attempt `firstAttempt` goes on from, if it is that one. */
export function takeResumedCall(chainId: string, name: string, firstAttempt: number | undefined): string | null {
  const scope = chainStorage.getStore();
  const resumed = scope?.chainId === chainId ? scope.resumed : undefined;
  if (!resumed || resumed.taken) return null;
  if (resumed.name !== name || resumed.firstAttempt !== firstAttempt) return null;
  resumed.taken = true;
  return resumed.callId;
}

/** @throws InvalidChainIdError when `chainId` is not a UUID. */
export function checkChainId(chainId: string): string {
  if (!isUuid(chainId)) throw new InvalidChainIdError(chainId);
  // As the database prints it, so the id ask() returns and the events' key are the one SQL shows.
  return chainId.toLowerCase();
}
