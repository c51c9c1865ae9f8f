import {
  Alert,
  Box,
  Card,
  Chip,
  Skeleton,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  Typography,
} from '@mui/material';
import { formatDateTime, shortId } from '../../format.js';
import { type RouterOutputs, trpc } from '../../trpc.js';

type InstanceItem = RouterOutputs['instances']['list']['items'][number];
type ChainQueue = RouterOutputs['instances']['list']['chainQueue'];

/** How often the list is asked again while shown: about as often as instances beat (CHAINLOG_INSTANCE_HEARTBEAT_MS). */
const REFRESH_MS = 2_000;

const STATE_LOOKS = {
  alive: { color: 'success', hint: 'Its heartbeat is younger than the lease' },
  lapsed: {
    color: 'warning',
    hint: 'Its heartbeat is older than the lease: taken for dead, what it left running is ended',
  },
  stopped: { color: 'default', hint: 'It said it stopped (a shutdown)' },
} as const;

/**
 * The server processes (and `npm run ask` runs) registered on this database in the last day, newest first: which
 * are alive by the lease, how old each heartbeat is. Loaded with its own chunk when first opened.
 */
export function InstancesPanel() {
  const instances = trpc.instances.list.useQuery(undefined, { refetchInterval: REFRESH_MS });
  return (
    <Card variant="outlined" data-testid="instances-panel">
      <Box sx={{ px: 2, pt: 1.5, pb: 0.5, display: 'flex', alignItems: 'baseline', gap: 1, flexWrap: 'wrap' }}>
        <Typography variant="subtitle1" component="h2" sx={{ fontWeight: 600 }}>
          Instances
        </Typography>
        {instances.data ? (
          <Typography variant="body2" color="text.secondary">
            {summary(instances.data.items)} · lease {Math.round(instances.data.leaseMs / 1000)} s ·{' '}
            {queueSummary(instances.data.chainQueue)}
          </Typography>
        ) : null}
      </Box>
      {instances.data?.chainQueue.problem ? <QueueProblem problem={instances.data.chainQueue.problem} /> : null}
      {instances.isPending ? (
        <Box sx={{ p: 2 }}>
          <Skeleton variant="rounded" height={32} />
        </Box>
      ) : instances.isError ? (
        <Alert severity="error" sx={{ m: 2 }}>
          Could not list the instances: {instances.error.message}
        </Alert>
      ) : (
        <InstanceTable items={instances.data.items} />
      )}
    </Card>
  );
}

function summary(items: readonly InstanceItem[]): string {
  const alive = items.filter((item) => item.state === 'alive').length;
  return `${alive} alive of ${items.length}`;
}

function queueSummary(queue: ChainQueue): string {
  const waiting = queue.waiting === undefined ? 'chains waiting: unknown' : `${queue.waiting} chains waiting`;
  return `${waiting}, ${queue.running} running here`;
}

/** The answering instance's runner cannot take chains: it tries again by itself, after a growing wait. */
function QueueProblem({ problem }: { problem: NonNullable<ChainQueue['problem']> }) {
  return (
    <Alert severity="warning" sx={{ mx: 2, my: 1 }} data-testid="chain-queue-problem">
      This instance cannot read the chain queue since {formatDateTime(problem.since)} ({problem.failures} failed{' '}
      {problem.failures === 1 ? 'look' : 'looks'}; it keeps trying): {problem.reason}
    </Alert>
  );
}

function InstanceTable({ items }: { items: readonly InstanceItem[] }) {
  if (items.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary" sx={{ px: 2, pb: 2 }}>
        No instance has registered on this database in the last day.
      </Typography>
    );
  }
  return (
    <TableContainer>
      <Table size="small" aria-label="Instances">
        <TableHead>
          {/* What an operator looks for first comes first: on a phone the rest scrolls in the card. */}
          <TableRow>
            <TableCell>State</TableCell>
            <TableCell>Host</TableCell>
            <TableCell align="right" title="By the database's clock">
              Heartbeat
            </TableCell>
            <TableCell>Instance</TableCell>
            <TableCell>Role</TableCell>
            <TableCell align="right">PID</TableCell>
            <TableCell>Started</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {items.map((item) => (
            <TableRow key={item.id} data-testid="instance-row" data-instance-id={item.id} data-state={item.state}>
              <TableCell>
                {/* Keyed by state: a new chip rather than one whose colours fade from the old state's. */}
                <Chip
                  key={item.state}
                  size="small"
                  label={item.state}
                  color={STATE_LOOKS[item.state].color}
                  title={STATE_LOOKS[item.state].hint}
                  variant={item.state === 'alive' ? 'filled' : 'outlined'}
                />
              </TableCell>
              <TableCell sx={{ whiteSpace: 'nowrap' }}>{item.hostname}</TableCell>
              <TableCell align="right" sx={{ whiteSpace: 'nowrap' }} data-testid="instance-heartbeat">
                {formatAge(item.heartbeatAgeMs)}
              </TableCell>
              <TableCell sx={{ fontFamily: 'monospace', whiteSpace: 'nowrap' }} title={item.id}>
                {shortId(item.id)}
                {item.self ? (
                  <Chip
                    size="small"
                    label="this one"
                    variant="outlined"
                    sx={{ ml: 1 }}
                    title="The instance that answered this page"
                  />
                ) : null}
              </TableCell>
              <TableCell>{item.role}</TableCell>
              <TableCell align="right">{item.pid}</TableCell>
              <TableCell sx={{ whiteSpace: 'nowrap' }}>{formatDateTime(item.startedAt)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

/** 0.8 s ago, 42 s ago, 5 min ago, 3 h ago. */
function formatAge(ms: number): string {
  if (ms < 10_000) return `${(Math.max(ms, 0) / 1000).toFixed(1)} s ago`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min ago`;
  return `${Math.round(ms / 3_600_000)} h ago`;
}
