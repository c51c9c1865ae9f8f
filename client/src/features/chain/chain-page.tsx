import ArrowBackIcon from '@mui/icons-material/ArrowBack';
import ReceiptLongIcon from '@mui/icons-material/ReceiptLong';
import { isOfflineProvider } from '@chainlog/shared';
import { Alert, Box, Button, Card, CardContent, Chip, Grid, Skeleton, Stack, Typography } from '@mui/material';
import { Link as RouterLink, useParams } from 'react-router';
import { ErrorState } from '../../components/error-state.js';
import { StatusChip } from '../../components/status-chip.js';
import { errorCode } from '../../error-code.js';
import { formatCost, formatDateTime, formatLatency, shortId } from '../../format.js';
import type { ChainDetail } from './apply-live-events.js';
import { AttemptWaterfall } from './attempt-waterfall.js';
import { ChainRecords } from './chain-records.js';
import { StepTimeline } from './step-timeline.js';
import { useLiveChain } from './use-live-chain.js';

/** `#/chains/:chainId`: one chain, live while it runs. */
export function ChainPage() {
  const { chainId = '' } = useParams();
  // A fresh view (and subscription) per chain, never one carried over from the previous id.
  return <ChainView key={chainId} chainId={chainId} />;
}

function ChainView({ chainId }: { chainId: string }) {
  const { detail, live, subscription } = useLiveChain(chainId);

  if (detail.isError)
    return (
      <ErrorState
        error={detail.error}
        what="chain"
        id={chainId}
        backTo={{ label: 'Back to the chains', to: '/chains' }}
      />
    );
  if (!live) return <ChainSkeleton />;

  const running = live.chain.status === 'running';
  return (
    // Messages and model answers can hold words longer than a line (a URL, a pasted token): they wrap rather than
    // widen the page.
    <Stack spacing={3} sx={{ overflowWrap: 'anywhere' }}>
      <ChainHeader detail={live} />
      {/* A refused token is the token dialog's to say (the socket closes with 4401 a moment after this error). */}
      {subscription.status === 'error' && errorCode(subscription.error) !== 'UNAUTHORIZED' ? (
        <Alert severity="warning">Live updates stopped: {subscription.error.message}. Reload to catch up.</Alert>
      ) : null}
      {live.chain.error ? (
        <Alert severity="error">
          <strong>{live.chain.error.class}</strong>: {live.chain.error.message}
        </Alert>
      ) : null}
      {live.recorded ? null : (
        <Alert severity="info" data-testid="unrecorded-chain">
          No chain runner recorded this chain: its calls were made with <code>ask()</code> directly (
          <code>npm run ask</code> or your own code). Each call is a step here, and the chain's status is what its calls
          say.
        </Alert>
      )}
      <OfflineStepsAlert steps={live.steps} />
      <Card variant="outlined">
        <CardContent>
          <Typography variant="h6" component="h2" gutterBottom>
            Timeline
          </Typography>
          <AttemptWaterfall logs={live.logs} steps={live.steps} />
        </CardContent>
      </Card>
      <Grid container spacing={3}>
        <Grid size={{ xs: 12, md: 7 }}>
          <Card variant="outlined">
            <CardContent>
              <Typography variant="h6" component="h2" gutterBottom>
                Steps
              </Typography>
              <StepTimeline
                steps={live.steps}
                plannedSteps={live.plannedSteps}
                logs={live.logs}
                chainRunning={running}
                storedReplyBodies={live.domain.replyDrafts.map((draft) => draft.body)}
              />
            </CardContent>
          </Card>
        </Grid>
        <Grid size={{ xs: 12, md: 5 }}>
          <ChainRecords detail={live} />
        </Grid>
      </Grid>
    </Stack>
  );
}

/** Says so above the steps and records when some answers on this page came from the offline provider. */
function OfflineStepsAlert({ steps }: { steps: ChainDetail['steps'] }) {
  const offline = steps.filter((step) => isOfflineProvider(step.provider)).length;
  if (offline === 0) return null;
  return (
    <Alert severity="warning" data-testid="offline-alert">
      {offline === steps.length
        ? 'Every step of this chain was'
        : `${offline} of ${steps.length} steps of this chain were`}{' '}
      answered by the offline provider: deterministic stand-ins, not model answers. The triage and reply shown here come
      from them.
    </Alert>
  );
}

function ChainHeader({ detail }: { detail: ChainDetail }) {
  const { chain, totals } = detail;
  const subject = detail.domain.messages[0]?.subject;
  return (
    <Box>
      <Button component={RouterLink} to="/chains" size="small" startIcon={<ArrowBackIcon />} sx={{ mb: 1, ml: -0.5 }}>
        Chains
      </Button>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1.5, flexWrap: 'wrap' }}>
        {/* A subject may be 300 characters: two lines at most, the whole of it on hover (and to screen readers). */}
        <Typography
          variant="h5"
          component="h1"
          title={subject || chain.name}
          sx={{ mr: 0.5, display: '-webkit-box', WebkitLineClamp: 2, WebkitBoxOrient: 'vertical', overflow: 'hidden' }}
        >
          {subject || chain.name}
        </Typography>
        <StatusChip status={chain.status} testId="chain-status" />
        <Box sx={{ flexGrow: 1 }} />
        <Button
          component={RouterLink}
          to={`/logs?chainId=${chain.id}`}
          variant="outlined"
          size="small"
          startIcon={<ReceiptLongIcon />}
        >
          View logs
        </Button>
      </Box>
      <Box sx={{ display: 'flex', gap: 1, flexWrap: 'wrap', alignItems: 'center', mt: 1 }}>
        <Chip size="small" label={chain.name} />
        <Typography variant="body2" color="text.secondary" title={chain.id}>
          chain{' '}
          <Box component="span" sx={{ fontFamily: 'monospace' }}>
            {shortId(chain.id)}
          </Box>{' '}
          · started {formatDateTime(chain.createdAt)}
          {chain.finishedAt ? ` · finished ${formatDateTime(chain.finishedAt)}` : ''}
        </Typography>
        {/* Where the totals wrap under the dates (a phone), no dot is left at the start of a line. */}
        <Typography variant="body2" color="text.secondary" aria-hidden sx={{ display: { xs: 'none', sm: 'block' } }}>
          ·
        </Typography>
        <Typography
          variant="body2"
          color="text.secondary"
          data-testid="chain-totals"
          title="Every attempt counted, retries included"
        >
          {totals.attempts > 0
            ? `${plural(totals.calls, 'call')}${totals.attempts > totals.calls ? `, ${totals.attempts} attempts` : ''} · ${formatLatency(totals.modelMs)} in models`
            : 'no calls yet'}
          {totals.failedAttempts > 0 ? ` · ${plural(totals.failedAttempts, 'failed attempt')}` : ''}
          {totals.costUsd !== null ? ` · ${formatCost(totals.costUsd)}` : ''}
        </Typography>
      </Box>
    </Box>
  );
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function ChainSkeleton() {
  return (
    <Stack spacing={3} data-testid="chain-loading">
      <Skeleton variant="text" width="40%" height={48} />
      <Grid container spacing={3}>
        <Grid size={{ xs: 12, md: 7 }}>
          <Skeleton variant="rounded" height={320} />
        </Grid>
        <Grid size={{ xs: 12, md: 5 }}>
          <Skeleton variant="rounded" height={200} />
        </Grid>
      </Grid>
    </Stack>
  );
}
