import { Box, Button, Card, Divider, LinearProgress, Skeleton, Stack, Typography } from '@mui/material';
import { keepPreviousData } from '@tanstack/react-query';
import { useRefetchOnChange } from '../../chain-changes.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorState } from '../../components/error-state.js';
import { usePageCursors } from '../../page-cursors.js';
import { type RouterOutputs, trpc } from '../../trpc.js';
import { ExportMenu } from './export-menu.js';
import { logPageMayChange, logRowsMayBeAdded } from './log-changes.js';
import { LogFilterBar } from './log-filter-bar.js';
import { LogTable } from './log-table.js';
import { type LogFilters, useLogFilters } from './use-log-filters.js';

const PAGE_SIZE = 25;
// While chains run, the page asks again at most this often, and its total (which any matching row changes) less often.
const PAGE_REFRESH_MS = 1_000;
const TOTAL_REFRESH_MS = 5_000;
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });

/** "18", "about 1.2M" for the server's estimate, "more than 10,000" for its floor. */
function describeTotal({ count, precision }: RouterOutputs['logs']['count']): string {
  if (precision === 'exact') return count.toLocaleString();
  return precision === 'estimate' ? `about ${compact.format(count)}` : `more than ${count.toLocaleString()}`;
}

/**
 * `#/logs`: the inference_log explorer. Filters live in the address; pages are keyset cursors. A running chain refetches
 * the page only when its rows can land on it (log-changes.ts).
 */
export function LogsPage() {
  const { filters, setFilter, clear, active, key } = useLogFilters();
  return (
    <Stack spacing={2}>
      <Box sx={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: 2 }}>
        <Typography variant="h5" component="h1">
          Inference logs
        </Typography>
        <ExportMenu filters={filters} />
      </Box>
      <LogFilterBar filters={filters} setFilter={setFilter} clear={clear} active={active} />
      {/* New filters start again from the first page. */}
      <LogResults key={key} filters={filters} filtered={active} onOrderChange={(order) => setFilter('order', order)} />
    </Stack>
  );
}

function LogResults({
  filters,
  filtered,
  onOrderChange,
}: {
  filters: LogFilters;
  filtered: boolean;
  onOrderChange: (order: LogFilters['order']) => void;
}) {
  const [cursors, setCursors] = usePageCursors('logPageCursors');
  const cursor = cursors[cursors.length - 1] ?? null;
  const logs = trpc.logs.list.useQuery({ ...filters, cursor, limit: PAGE_SIZE }, { placeholderData: keepPreviousData });
  const { order: _order, ...countFilters } = filters;
  const total = trpc.logs.count.useQuery(countFilters);
  const page = cursors.length;
  useRefetchOnChange(
    (change) =>
      logs.data !== undefined &&
      logPageMayChange(
        change,
        { filters, cursor, items: logs.data.items, nextCursor: logs.data.nextCursor },
        Date.now(),
      ),
    () => void logs.refetch({ cancelRefetch: false }),
    PAGE_REFRESH_MS,
  );
  useRefetchOnChange(
    (change) => logRowsMayBeAdded(change, filters, Date.now()),
    () => void total.refetch({ cancelRefetch: false }),
    TOTAL_REFRESH_MS,
  );

  if (logs.isPending) {
    return (
      <Stack spacing={1} data-testid="logs-loading">
        {[0, 1, 2, 3, 4].map((index) => (
          <Skeleton key={index} variant="rounded" height={40} />
        ))}
      </Stack>
    );
  }
  if (logs.isError) return <ErrorState error={logs.error} what="logs" />;

  const { items, nextCursor } = logs.data;
  return (
    <Card variant="outlined" sx={{ position: 'relative' }}>
      {logs.isPlaceholderData ? (
        <LinearProgress sx={{ position: 'absolute', top: 0, left: 0, right: 0 }} aria-label="Loading page" />
      ) : null}
      {items.length === 0 ? (
        <EmptyState
          title={filtered ? 'No logs match these filters' : 'No inference calls logged yet'}
          testId="logs-empty"
        >
          {filtered
            ? 'Loosen a filter, or clear them all.'
            : 'Submit a message in the inbox: each step of its chain logs a call here.'}
        </EmptyState>
      ) : (
        <LogTable items={items} order={filters.order} onOrderChange={onOrderChange} />
      )}
      <Divider />
      <Box sx={{ display: 'flex', alignItems: 'center', justifyContent: 'flex-end', gap: 1, px: 2, py: 1 }}>
        <Typography variant="body2" color="text.secondary" sx={{ mr: 'auto' }} data-testid="logs-page">
          Page {page}
          {items.length > 0 ? ` · ${items.length} row${items.length === 1 ? '' : 's'}` : ''}
          {total.data && items.length > 0 ? ` of ${describeTotal(total.data)}` : ''}
        </Typography>
        <Button size="small" disabled={page === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous
        </Button>
        <Button
          size="small"
          disabled={nextCursor === null || logs.isPlaceholderData}
          onClick={() => setCursors([...cursors, nextCursor])}
        >
          Next page
        </Button>
      </Box>
    </Card>
  );
}
