import { textParamOrNull, useAddressParams } from '../../use-address-params.js';

/** The preset ranges the Stats page offers, in days ending today (UTC). */
export const RANGE_PRESETS = [7, 30, 90] as const;
const DEFAULT_DAYS = 30;
/** What stats.overview takes at most (MAX_STATS_DAYS on the server). */
export const MAX_DAYS = 366;
const DAY_MS = 86_400_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The Stats page's range and filters, kept in the address so a view can be linked to: `?days=7` (a range ending
 * today, so the link stays current) or `?from=…&to=…` (fixed UTC days), and `name`, `model`.
 */
export interface StatsFilters {
  /** UTC days, both included, `YYYY-MM-DD`. */
  from: string;
  to: string;
  /** The preset in use, or null for a fixed range. */
  days: number | null;
  /** The first day the address asked for, when the range was longer than a view covers and lost its first days. */
  shortenedFrom: string | null;
  name: string | null;
  model: string | null;
}

export type StatsFilterKey = 'from' | 'to' | 'name' | 'model';

export function utcDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

const maxDay = (left: string, right: string) => (left > right ? left : right);

function dayOrNull(value: string | null): string | null {
  // PostgreSQL has no year 0.
  return value !== null && DAY.test(value) && value >= '0001-01-01' && !Number.isNaN(Date.parse(value)) ? value : null;
}

export function useStatsFilters() {
  const { params, change: update } = useAddressParams();
  const today = utcDay(Date.now());
  const from = dayOrNull(params.get('from'));
  const to = dayOrNull(params.get('to'));
  const preset = RANGE_PRESETS.find((days) => String(days) === params.get('days')) ?? null;
  const fixed = preset === null && (from !== null || to !== null);
  const days = fixed ? null : (preset ?? DEFAULT_DAYS);
  const fixedTo = to ?? today;
  const fixedFrom = from ?? utcDay(Date.parse(fixedTo) - (DEFAULT_DAYS - 1) * DAY_MS);
  // Two days picked in either order are a range; one longer than the server takes keeps its last days.
  const [first, last] = fixedFrom <= fixedTo ? [fixedFrom, fixedTo] : [fixedTo, fixedFrom];
  const shownFrom = fixed
    ? maxDay(first, utcDay(Date.parse(last) - (MAX_DAYS - 1) * DAY_MS))
    : utcDay(Date.now() - ((days ?? DEFAULT_DAYS) - 1) * DAY_MS);
  const filters: StatsFilters = {
    to: fixed ? last : today,
    from: shownFrom,
    days,
    shortenedFrom: fixed && first < shownFrom ? first : null,
    name: textParamOrNull(params.get('name')),
    model: textParamOrNull(params.get('model')),
  };

  /** A preset range: the fixed days go. */
  const setDays = (value: number) =>
    update((next) => {
      next.delete('from');
      next.delete('to');
      if (value === DEFAULT_DAYS) next.delete('days');
      else next.set('days', String(value));
    });
  /** A fixed day (or a filter): the preset goes, and the range keeps the other end it showed. */
  const setFilter = (key: StatsFilterKey, value: string | null) =>
    update((next) => {
      if (key === 'from' || key === 'to') {
        next.delete('days');
        next.set('from', filters.from);
        next.set('to', filters.to);
      }
      if (value === null || value === '') next.delete(key);
      else next.set(key, value);
    });

  return { filters, setDays, setFilter };
}
