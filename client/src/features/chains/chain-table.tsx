import {
  Box,
  Chip,
  Link,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  Typography,
} from '@mui/material';
import { Link as RouterLink, useNavigate } from 'react-router';
import { StatusChip } from '../../components/status-chip.js';
import { formatCost, formatDateTime, formatLatency, shortId } from '../../format.js';
import type { RouterOutputs } from '../../trpc.js';

export type ChainListItem = RouterOutputs['chains']['list']['items'][number];

/**
 * Chains with their totals (every attempt counted); each row opens the chain page (its name is the link, the whole
 * row is clickable). A chain only the log knows (ask() calls) says so beside its name.
 */
export function ChainTable({ items }: { items: readonly ChainListItem[] }) {
  const navigate = useNavigate();
  return (
    <TableContainer>
      <Table size="small" aria-label="Chains">
        <TableHead>
          <TableRow>
            <TableCell>Started</TableCell>
            <TableCell>Name</TableCell>
            <TableCell>Status</TableCell>
            <TableCell align="right">Calls</TableCell>
            <TableCell align="right" title="Every attempt, retries included">
              Attempts
            </TableCell>
            <TableCell align="right" title="Attempts that ended in an error, retried or not">
              Errors
            </TableCell>
            <TableCell align="right">Cost</TableCell>
            <TableCell align="right" title="From the first call's start to the last call's end">
              Duration
            </TableCell>
            <TableCell>Chain</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {items.map((chain) => (
            <TableRow
              key={chain.id}
              hover
              data-testid="chain-row"
              data-chain-id={chain.id}
              data-status={chain.status}
              onClick={(event) => {
                if (event.target instanceof Element && event.target.closest('a')) return;
                void navigate(`/chains/${chain.id}`);
              }}
              sx={{ cursor: 'pointer' }}
            >
              <TableCell sx={{ whiteSpace: 'nowrap' }}>{formatDateTime(chain.createdAt)}</TableCell>
              <TableCell>
                <Box sx={{ display: 'flex', alignItems: 'center', gap: 0.75, flexWrap: 'wrap' }}>
                  <Link component={RouterLink} to={`/chains/${chain.id}`} underline="hover" sx={{ fontWeight: 500 }}>
                    {chain.name}
                  </Link>
                  {chain.recorded ? null : (
                    <Chip
                      size="small"
                      label="ask() calls"
                      variant="outlined"
                      title="No chain runner recorded this chain: its calls were made with ask() directly"
                    />
                  )}
                </Box>
                {/* Sized as if empty (inline-size containment) but at least 14rem: an error never widens the column past
                    that, and fills the cell when the names make it wider. */}
                {chain.error ? (
                  <Typography
                    variant="caption"
                    color="error"
                    component="div"
                    data-testid="chain-error"
                    sx={{
                      contain: 'inline-size',
                      minWidth: '14rem',
                      overflow: 'hidden',
                      textOverflow: 'ellipsis',
                      whiteSpace: 'nowrap',
                    }}
                    title={`${chain.error.class}: ${chain.error.message}`}
                  >
                    {chain.error.class}: {chain.error.message}
                  </Typography>
                ) : null}
              </TableCell>
              <TableCell>
                <StatusChip status={chain.status} />
              </TableCell>
              <TableCell align="right" data-testid="chain-calls">
                {chain.calls}
              </TableCell>
              <TableCell
                align="right"
                data-testid="chain-attempts"
                sx={chain.attempts > chain.calls ? { fontWeight: 600 } : undefined}
              >
                {chain.attempts}
              </TableCell>
              <TableCell
                align="right"
                data-testid="chain-errors"
                sx={chain.errors > 0 ? { color: 'error.main', fontWeight: 600 } : { color: 'text.secondary' }}
              >
                {chain.errors}
              </TableCell>
              <TableCell align="right">{formatCost(chain.costUsd)}</TableCell>
              <TableCell
                align="right"
                sx={{ whiteSpace: 'nowrap' }}
                title={chain.status === 'running' ? 'So far' : undefined}
              >
                {formatLatency(chain.wallMs)}
                {chain.status === 'running' && chain.wallMs !== null ? '…' : ''}
              </TableCell>
              <TableCell>
                <Typography
                  component="span"
                  variant="body2"
                  title={chain.id}
                  sx={{ fontFamily: 'monospace', color: 'text.secondary', whiteSpace: 'nowrap' }}
                >
                  {shortId(chain.id)}
                </Typography>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}
