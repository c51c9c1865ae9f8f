import { CHAIN_STATUSES, type ChainStatus } from '@chainlog/shared';
import { useAddressParams } from '../../use-address-params.js';

/** The Chains page's filters, kept in the address (`#/chains?status=failed&name=sentiment`) so a view can be linked to. */
export interface ChainFilters {
  status: ChainStatus | null;
  /** A chain's name: the chain runner's (`support-inbox triage`), or the first call's task name for ask() calls. */
  name: string | null;
}

export type ChainFilterKey = keyof ChainFilters;

function isStatus(value: string | null): value is ChainStatus {
  return CHAIN_STATUSES.some((status) => status === value);
}

export function useChainFilters() {
  const { params, change, clear } = useAddressParams();
  const status = params.get('status');
  const name = params.get('name');
  // Values the server would refuse (a hand-edited address) are dropped rather than sent.
  const filters: ChainFilters = {
    status: isStatus(status) ? status : null,
    name: name !== null && name !== '' && !name.includes('\u0000') ? name : null,
  };

  const setFilter = (key: ChainFilterKey, value: string | null) =>
    change((next) => {
      if (value === null || value === '') next.delete(key);
      else next.set(key, value);
    });
  const active = filters.status !== null || filters.name !== null;

  return { filters, setFilter, clear, active, key: params.toString() };
}
