import {
  Box,
  Button,
  Card,
  CardHeader,
  Chip,
  Divider,
  List,
  ListItemButton,
  Skeleton,
  Stack,
  Typography,
} from '@mui/material';
import { Fragment } from 'react';
import { Link as RouterLink } from 'react-router';
import { useRefetchOnChange } from '../../chain-changes.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorState } from '../../components/error-state.js';
import { StatusChip } from '../../components/status-chip.js';
import { formatDateTime, humanize } from '../../format.js';
import { type RouterOutputs, trpc } from '../../trpc.js';
import { inboxMayChange } from './inbox-changes.js';

type InboxItem = RouterOutputs['inbox']['list']['items'][number];

const PAGE_SIZE = 20;
// While chains run, the inbox asks again at most this often.
const INBOX_REFRESH_MS = 1_000;

/** Messages newest first, each linking to its chain; chains.changes keeps statuses current (see live-updates.ts). */
export function MessageList() {
  const inbox = trpc.inbox.list.useInfiniteQuery({ limit: PAGE_SIZE }, { getNextPageParam: (page) => page.nextCursor });
  const items = inbox.data?.pages.flatMap((page) => page.items) ?? [];
  useRefetchOnChange(
    (change) =>
      inboxMayChange(
        change,
        items.map((item) => item.chainId),
      ),
    () => void inbox.refetch({ cancelRefetch: false }),
    INBOX_REFRESH_MS,
  );

  return (
    <Card variant="outlined">
      <CardHeader
        title="Inbox"
        slotProps={{ title: { variant: 'h6', component: 'h2' } }}
        subheader="Every message runs a chain: intent → entities → reply"
      />
      <Divider />
      {inbox.isPending ? (
        <Stack spacing={1.5} sx={{ p: 2 }} data-testid="inbox-loading">
          {[0, 1, 2].map((index) => (
            <Skeleton key={index} variant="rounded" height={64} />
          ))}
        </Stack>
      ) : inbox.isError ? (
        <Box sx={{ p: 2 }}>
          <ErrorState error={inbox.error} what="inbox" />
        </Box>
      ) : items.length === 0 ? (
        <EmptyState title="No messages yet — try an example" testId="inbox-empty">
          Pick one of the examples, then Submit: the chain runs live.
        </EmptyState>
      ) : (
        <List disablePadding aria-label="Inbox">
          {items.map((item, index) => (
            <Fragment key={item.id}>
              {index > 0 ? <Divider component="li" /> : null}
              <li>
                <MessageRow item={item} />
              </li>
            </Fragment>
          ))}
        </List>
      )}
      {inbox.hasNextPage ? (
        <Box sx={{ p: 1.5, textAlign: 'center' }}>
          <Button onClick={() => void inbox.fetchNextPage()} disabled={inbox.isFetchingNextPage}>
            {inbox.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </Button>
        </Box>
      ) : null}
    </Card>
  );
}

function MessageRow({ item }: { item: InboxItem }) {
  return (
    <ListItemButton
      component={RouterLink}
      to={`/chains/${item.chainId}`}
      data-testid="inbox-message"
      data-chain-id={item.chainId}
      data-status={item.chainStatus ?? 'unknown'}
      sx={{ alignItems: 'flex-start', gap: 2, py: 1.5 }}
    >
      <Box sx={{ flexGrow: 1, minWidth: 0 }}>
        <Typography variant="subtitle2" noWrap>
          {item.subject || '(no subject)'}
        </Typography>
        {/* A long sender is cut short; the date keeps whole, on a line of its own where both do not fit. */}
        <Typography
          variant="body2"
          color="text.secondary"
          component="div"
          sx={{ display: 'flex', flexWrap: 'wrap', columnGap: 0.5 }}
        >
          <Box
            component="span"
            sx={{ maxWidth: '100%', overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}
          >
            {item.from}
          </Box>
          <Box component="span" sx={{ whiteSpace: 'nowrap' }}>
            · {formatDateTime(item.createdAt)}
          </Box>
        </Typography>
        <Typography
          variant="body2"
          color="text.secondary"
          sx={{
            mt: 0.5,
            display: '-webkit-box',
            WebkitLineClamp: 2,
            WebkitBoxOrient: 'vertical',
            overflow: 'hidden',
            overflowWrap: 'anywhere',
          }}
        >
          {item.body}
        </Typography>
      </Box>
      <Stack spacing={0.75} sx={{ flexShrink: 0, alignItems: 'flex-end' }}>
        <StatusChip status={item.chainStatus} testId="chain-status" />
        {item.intent ? <Chip size="small" label={humanize(item.intent)} data-testid="intent" /> : null}
        {item.urgency ? (
          <Chip
            size="small"
            variant="outlined"
            label={`${item.urgency} urgency`}
            color={item.urgency === 'high' ? 'error' : 'default'}
            data-testid="urgency"
          />
        ) : null}
      </Stack>
    </ListItemButton>
  );
}
