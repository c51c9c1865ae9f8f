import {
  Box,
  Link,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  TableSortLabel,
  Typography,
} from '@mui/material';
import { Link as RouterLink, useNavigate } from 'react-router';
import { OfflineChip } from '../../components/offline-chip.js';
import { StatusChip } from '../../components/status-chip.js';
import { formatCost, formatDateTime, formatLatency, formatTokens, shortId } from '../../format.js';
import type { RouterOutputs } from '../../trpc.js';
import type { LogOrder } from './use-log-filters.js';

type LogSummary = RouterOutputs['logs']['list']['items'][number];

interface LogTableProps {
  items: readonly LogSummary[];
  order: LogOrder;
  onOrderChange: (order: LogOrder) => void;
}

/** inference_log rows; each row opens its detail (its name is the link, the whole row is clickable). */
export function LogTable({ items, order, onOrderChange }: LogTableProps) {
  const navigate = useNavigate();
  return (
    <TableContainer>
      <Table size="small" aria-label="Inference logs">
        <TableHead>
          <TableRow>
            <TableCell sortDirection={order}>
              <TableSortLabel active direction={order} onClick={() => onOrderChange(order === 'desc' ? 'asc' : 'desc')}>
                Time
              </TableSortLabel>
            </TableCell>
            <TableCell>Name</TableCell>
            <TableCell>Status</TableCell>
            <TableCell>Provider · model</TableCell>
            <TableCell align="right">Attempt</TableCell>
            <TableCell align="right">Tokens in / out</TableCell>
            <TableCell align="right">Latency</TableCell>
            <TableCell align="right">Cost</TableCell>
            <TableCell>Chain</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {items.map((log) => (
            <TableRow
              key={log.id}
              hover
              data-testid="log-row"
              data-log-id={log.id}
              data-chain-id={log.chainId}
              data-status={log.status}
              onClick={(event) => {
                // Links inside the row (name, chain) navigate themselves.
                if (event.target instanceof Element && event.target.closest('a')) return;
                void navigate(`/logs/${log.id}`);
              }}
              sx={{ cursor: 'pointer' }}
            >
              <TableCell sx={{ whiteSpace: 'nowrap' }}>{formatDateTime(log.createdAt)}</TableCell>
              <TableCell>
                <Link component={RouterLink} to={`/logs/${log.id}`} underline="hover" sx={{ fontWeight: 500 }}>
                  {log.name}
                </Link>
                {log.errorMessage ? (
                  <Typography
                    variant="caption"
                    color="error"
                    component="div"
                    sx={{ maxWidth: 220, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}
                    title={log.errorMessage}
                  >
                    {log.errorMessage}
                  </Typography>
                ) : null}
              </TableCell>
              <TableCell>
                <StatusChip status={log.status} />
              </TableCell>
              <TableCell>
                <Box component="span" sx={{ color: 'text.secondary' }}>
                  {log.provider} ·{' '}
                </Box>
                {/* The provider and the model may go on two lines; a model's name stays whole ("gpt-4.1-mini"). */}
                <Box component="span" sx={{ whiteSpace: 'nowrap' }}>
                  {log.model}
                </Box>{' '}
                <OfflineChip provider={log.provider} />
              </TableCell>
              <TableCell align="right">{log.attempt}</TableCell>
              <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                {formatTokens(log.inputTokens)} / {formatTokens(log.outputTokens)}
              </TableCell>
              <TableCell align="right">{formatLatency(log.latencyMs)}</TableCell>
              <TableCell align="right">{formatCost(log.costUsd)}</TableCell>
              <TableCell sx={{ whiteSpace: 'nowrap' }}>
                <Link
                  component={RouterLink}
                  to={`/chains/${log.chainId}`}
                  underline="hover"
                  title={log.chainId}
                  sx={{ fontFamily: 'monospace' }}
                  aria-label={`Chain ${log.chainId}`}
                >
                  {shortId(log.chainId)}
                </Link>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}
