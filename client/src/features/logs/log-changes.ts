import type { ChainChange } from '../../chain-changes.js';
import type { LogFilters } from './use-log-filters.js';

/** What a Logs page shows, as far as a chain event can change it. */
export interface ShownLogPage {
  filters: Pick<LogFilters, 'chainId' | 'order' | 'to'>;
  /** The cursor the page starts after: null for the first page. */
  cursor: string | null;
  items: readonly { chainId: string; status: string }[];
  nextCursor: string | null;
}

/**
 * Whether a chain event can have added log rows that match the filters: a step's end means its attempts are written
 * (a chain's own end writes none). Rows are written as they happen, so none can match a range that ended before now.
 */
export function logRowsMayBeAdded(change: ChainChange, filters: ShownLogPage['filters'], now: number): boolean {
  if (change.type !== 'step_finished' && change.type !== 'step_failed') return false;
  if (filters.chainId !== null && filters.chainId !== change.chainId) return false;
  return filters.to === null || Date.parse(filters.to) > now;
}

/**
 * Whether a chain event can change the rows of this page. A row shown while pending may have ended (a step's end, or
 * the chain's, when it was interrupted). New rows have the newest ids, so in id order they land only on the first
 * page newest-first, or on the last page oldest-first; a page deeper in the table keeps its rows.
 */
export function logPageMayChange(change: ChainChange, page: ShownLogPage, now: number): boolean {
  if (
    change.type !== 'step_started' &&
    page.items.some((item) => item.chainId === change.chainId && item.status === 'pending')
  )
    return true;
  if (!logRowsMayBeAdded(change, page.filters, now)) return false;
  return page.filters.order === 'desc' ? page.cursor === null : page.nextCursor === null;
}

/** The task, provider and model menus (logs.facets) as shown. */
export interface ShownFacets {
  names: readonly string[];
  providers: readonly string[];
  models: readonly string[];
}

/** Whether a step's end names a task, provider or model the menus do not offer yet: only then do they change. */
export function facetsMayChange(change: ChainChange, facets: ShownFacets | undefined): boolean {
  if (change.type !== 'step_finished' && change.type !== 'step_failed') return false;
  if (facets === undefined) return false;
  const unseen = (value: string | null, known: readonly string[]) => value !== null && !known.includes(value);
  return (
    unseen(change.name, facets.names) ||
    unseen(change.provider, facets.providers) ||
    unseen(change.model, facets.models)
  );
}
