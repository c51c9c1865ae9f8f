/** Display formats shared by every screen; null/undefined shows as an en dash. */
const NONE = '–';

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return NONE;
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return NONE;
  return new Date(iso).toLocaleTimeString(undefined, { timeStyle: 'medium' });
}

/** Milliseconds: "0.4 ms" under 10 ms (an offline or cached answer), "840 ms" under a second, "1.4 s" above. */
export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return NONE;
  if (ms < 10) return `${Number(ms.toFixed(1))} ms`;
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(1)} s`;
}

/** An axis tick in milliseconds, to three significant digits, so neighbouring ticks never read the same. */
export function formatLatencyTick(ms: number): string {
  return ms < 1_000 ? `${Number(ms.toPrecision(3))} ms` : `${Number((ms / 1_000).toPrecision(3))} s`;
}

export function formatTokens(count: number | null | undefined): string {
  return count === null || count === undefined ? NONE : count.toLocaleString();
}

/** Costs arrive as numeric strings (exact decimals); small ones keep their significant digits. */
export function formatCost(costUsd: string | null | undefined): string {
  if (costUsd === null || costUsd === undefined) return NONE;
  const value = Number(costUsd);
  if (!Number.isFinite(value)) return costUsd;
  if (value === 0) return '$0';
  return value >= 0.01 ? `$${value.toFixed(2)}` : `$${value.toPrecision(2)}`;
}

/** UUID v7 ids share their leading (time) digits, so the tail tells them apart. */
export function shortId(id: string): string {
  return `…${id.slice(-8)}`;
}

/** "refund_request" → "refund request". */
export function humanize(value: string): string {
  return value.replace(/_/g, ' ');
}
