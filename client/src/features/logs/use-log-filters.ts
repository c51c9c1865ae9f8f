import type { RouterInputs } from '../../trpc.js';
import { textParamOrNull, useAddressParams } from '../../use-address-params.js';

// tRPC types an optional input as `void | input`: keep the object.
type ListInput = Extract<RouterInputs['logs']['list'], object>;
export type LogStatus = NonNullable<ListInput['status']>;
export type LogOrder = NonNullable<ListInput['order']>;

export const LOG_STATUSES: readonly LogStatus[] = ['pending', 'ok', 'error'];

/** The explorer's filters, kept in the address (`#/logs?chainId=…&status=error`) so a view can be linked to. */
export interface LogFilters {
  name: string | null;
  model: string | null;
  provider: string | null;
  status: LogStatus | null;
  chainId: string | null;
  /** ISO datetimes: `from` inclusive, `to` exclusive. */
  from: string | null;
  to: string | null;
  /** Full-text search of the prompts and the output. */
  q: string | null;
  /** Decimal text, as in the address: latency bounds in ms, the least cost in US dollars. */
  minLatencyMs: string | null;
  maxLatencyMs: string | null;
  minCostUsd: string | null;
  order: LogOrder;
}

export type LogFilterKey = keyof LogFilters;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const DECIMAL = /^\d{1,15}(\.\d{1,15})?$/;

/** What logs.list takes as a bound: plain decimal text, no sign or exponent. */
export function isDecimal(value: string): boolean {
  return DECIMAL.test(value);
}

function decimalOrNull(value: string | null): string | null {
  return value !== null && isDecimal(value) ? value : null;
}

function searchOrNull(value: string | null): string | null {
  const trimmed = value?.trim() ?? '';
  return trimmed !== '' && trimmed.length <= 500 && !trimmed.includes('\u0000') ? trimmed : null;
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

function isStatus(value: string | null): value is LogStatus {
  return LOG_STATUSES.some((status) => status === value);
}

// An instant as the exports write it: kept to the microsecond (a Date keeps milliseconds), so a bound copied from an
// export selects the same rows as in SQL.
const EXPORTED_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,6}Z$/;

/** A time filter from the address: an exported instant as it is, any other date Date reads as its ISO form. */
export function instantParamOrNull(value: string | null): string | null {
  if (value === null || Number.isNaN(Date.parse(value))) return null;
  return EXPORTED_INSTANT.test(value) ? value : new Date(value).toISOString();
}

export function useLogFilters() {
  const { params, change, clear } = useAddressParams();
  const chainId = params.get('chainId');
  const status = params.get('status');
  // Values the server would refuse (a hand-edited address) are dropped rather than sent.
  const filters: LogFilters = {
    name: textParamOrNull(params.get('name')),
    model: textParamOrNull(params.get('model')),
    provider: textParamOrNull(params.get('provider')),
    status: isStatus(status) ? status : null,
    chainId: chainId !== null && isUuid(chainId) ? chainId : null,
    from: instantParamOrNull(params.get('from')),
    to: instantParamOrNull(params.get('to')),
    q: searchOrNull(params.get('q')),
    minLatencyMs: decimalOrNull(params.get('minLatencyMs')),
    maxLatencyMs: decimalOrNull(params.get('maxLatencyMs')),
    minCostUsd: decimalOrNull(params.get('minCostUsd')),
    order: params.get('order') === 'asc' ? 'asc' : 'desc',
  };

  const setFilter = (key: LogFilterKey, value: string | null) =>
    change((next) => {
      if (value === null || value === '' || (key === 'order' && value === 'desc')) next.delete(key);
      else next.set(key, value);
    });
  // A filter applied, not a parameter present: a value dropped above (status=bogus) filters nothing and shows nothing.
  const active = Object.entries(filters).some(([key, value]) => key !== 'order' && value !== null);

  return { filters, setFilter, clear, active, key: params.toString() };
}
