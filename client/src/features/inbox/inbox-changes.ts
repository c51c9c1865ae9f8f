import type { ChainChange } from '../../chain-changes.js';

/**
 * Whether a chain event can change the inbox as loaded: a chain starting is a new message at its top; a chain's step
 * or its end changes its message's status and triage only if that message is loaded.
 */
export function inboxMayChange(change: ChainChange, shownChainIds: readonly string[]): boolean {
  if (change.type === 'chain_started') return true;
  return change.type !== 'step_started' && shownChainIds.includes(change.chainId);
}
