import type { ChainChange } from '../../chain-changes.js';

/** What a Chains page shows: chains in id order, newest first, after `cursor`. */
export interface ShownChainPage {
  /** The cursor the page starts after: null for the first page. */
  cursor: string | null;
  items: readonly { id: string }[];
  nextCursor: string | null;
}

/**
 * Whether a chain event can change this page: the page holds the chains whose ids fall between its cursor and its
 * last row (chain ids are UUID v7, so id order is time order and string order), whatever the filters, since a chain
 * that changes status may enter or leave a filtered page only where its id sorts. A step's start changes no totals.
 */
export function chainPageMayChange(change: ChainChange, page: ShownChainPage): boolean {
  if (change.type === 'step_started') return false;
  const id = change.chainId.toLowerCase();
  if (page.cursor !== null && id >= page.cursor.toLowerCase()) return false;
  const last = page.items.at(-1);
  return page.nextCursor === null || last === undefined || id >= last.id.toLowerCase();
}
