import DnsIcon from '@mui/icons-material/Dns';
import { Box, Button, Card, Divider, LinearProgress, Skeleton, Stack, Typography } from '@mui/material';
import { keepPreviousData } from '@tanstack/react-query';
import { Suspense, lazy, useState } from 'react';
import { useRefetchOnChange } from '../../chain-changes.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorState } from '../../components/error-state.js';
import { usePageCursors } from '../../page-cursors.js';
import { trpc } from '../../trpc.js';
import { chainPageMayChange } from './chain-page-changes.js';
import { ChainFilterBar } from './chain-filter-bar.js';
import { ChainTable } from './chain-table.js';
import { type ChainFilters, useChainFilters } from './use-chain-filters.js';

// Operators open it now and then: its table and refreshes come with its own chunk, when first opened.
const InstancesPanel = lazy(() =>
  import('./instances-panel.js').then((module) => ({ default: module.InstancesPanel })),
);

const PAGE_SIZE = 25;
// A chain list on screen refetches at most this often however many chains report: otherwise every event that ends a
// step or a chain refetches it (five for each demo chain, so tens a second on a busy server).
const CHAIN_LIST_REFRESH_MS = 1_000;
// The unfiltered first page, as ChainResults asks for it: one query (and one cache entry) serves both.
const FIRST_PAGE = { status: null, name: null, cursor: null, limit: PAGE_SIZE };

/**
 * `#/chains`: every chain the log knows (the demo's and those of plain ask() calls), newest first, with totals over
 * every attempt. Filters live in the address; pages are keyset cursors. A chain event refetches a page only when the
 * chain's id falls on it (chain-page-changes.ts).
 */
export function ChainsPage() {
  const { filters, setFilter, clear, active, key } = useChainFilters();
  // The names of the newest chains, offered by the name filter (chain names have no facet of their own).
  const names = trpc.chains.list.useQuery(FIRST_PAGE, {
    select: (page) => [...new Set(page.items.map((chain) => chain.name))],
  });
  const utils = trpc.useUtils();
  useRefetchOnChange(
    (change) => {
      const firstPage = utils.chains.list.getData(FIRST_PAGE);
      return firstPage !== undefined && chainPageMayChange(change, { cursor: null, ...firstPage });
    },
    () => void names.refetch({ cancelRefetch: false }),
    CHAIN_LIST_REFRESH_MS,
  );
  const [instancesShown, setInstancesShown] = useState(false);
  return (
    <Stack spacing={2}>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
        <Typography variant="h5" component="h1" sx={{ flexGrow: 1 }}>
          Chains
        </Typography>
        <Button
          size="small"
          variant={instancesShown ? 'contained' : 'outlined'}
          startIcon={<DnsIcon />}
          aria-expanded={instancesShown}
          onClick={() => setInstancesShown(!instancesShown)}
        >
          Instances
        </Button>
      </Box>
      {instancesShown ? (
        <Suspense fallback={<Skeleton variant="rounded" height={96} />}>
          <InstancesPanel />
        </Suspense>
      ) : null}
      <ChainFilterBar
        filters={filters}
        setFilter={setFilter}
        clear={clear}
        active={active}
        knownNames={names.data ?? []}
      />
      {/* New filters start again from the first page. */}
      <ChainResults key={key} filters={filters} filtered={active} />
    </Stack>
  );
}

function ChainResults({ filters, filtered }: { filters: ChainFilters; filtered: boolean }) {
  const [cursors, setCursors] = usePageCursors('chainPageCursors');
  const cursor = cursors[cursors.length - 1] ?? null;
  const chains = trpc.chains.list.useQuery(
    { ...filters, cursor, limit: PAGE_SIZE },
    { placeholderData: keepPreviousData },
  );
  const page = cursors.length;
  useRefetchOnChange(
    (change) => chains.data !== undefined && chainPageMayChange(change, { cursor, ...chains.data }),
    () => void chains.refetch({ cancelRefetch: false }),
    CHAIN_LIST_REFRESH_MS,
  );

  if (chains.isPending) {
    return (
      <Stack spacing={1} data-testid="chains-loading">
        {[0, 1, 2, 3, 4].map((index) => (
          <Skeleton key={index} variant="rounded" height={40} />
        ))}
      </Stack>
    );
  }
  if (chains.isError) return <ErrorState error={chains.error} what="chains" />;

  const { items, nextCursor } = chains.data;
  return (
    <Card variant="outlined" sx={{ position: 'relative' }}>
      {chains.isPlaceholderData ? (
        <LinearProgress sx={{ position: 'absolute', top: 0, left: 0, right: 0 }} aria-label="Loading page" />
      ) : null}
      {items.length === 0 ? (
        <EmptyState title={filtered ? 'No chains match these filters' : 'No chains yet'} testId="chains-empty">
          {filtered
            ? 'Loosen a filter, or clear them all.'
            : 'Submit a message in the inbox, or run npm run ask: each chain shows here.'}
        </EmptyState>
      ) : (
        <ChainTable items={items} />
      )}
      <Divider />
      <Box sx={{ display: 'flex', alignItems: 'center', justifyContent: 'flex-end', gap: 1, px: 2, py: 1 }}>
        <Typography variant="body2" color="text.secondary" sx={{ mr: 'auto' }} data-testid="chains-page">
          Page {page}
          {items.length > 0 ? ` · ${items.length} chain${items.length === 1 ? '' : 's'}` : ''}
        </Typography>
        <Button size="small" disabled={page === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous
        </Button>
        <Button
          size="small"
          disabled={nextCursor === null || chains.isPlaceholderData}
          onClick={() => setCursors([...cursors, nextCursor])}
        >
          Next page
        </Button>
      </Box>
    </Card>
  );
}
