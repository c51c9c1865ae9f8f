import ArrowBackIcon from '@mui/icons-material/ArrowBack';
import { isOfflineProvider } from '@chainlog/shared';
import { Alert, Box, Button, Card, CardContent, Link, Skeleton, Stack, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { Link as RouterLink, useParams } from 'react-router';
import { useRefetchOnChange } from '../../chain-changes.js';
import { ErrorState } from '../../components/error-state.js';
import { OfflineChip } from '../../components/offline-chip.js';
import { StatusChip } from '../../components/status-chip.js';
import { formatCost, formatDateTime, formatLatency, formatTokens } from '../../format.js';
import { type RouterOutputs, trpc } from '../../trpc.js';
import { JsonSection } from './json-section.js';

type LogDetail = RouterOutputs['logs']['get'];

const PENDING_REFETCH_MS = 2_000;

/** `#/logs/:id`: one inference_log row in full. */
export function LogDetailPage() {
  const { id = '' } = useParams();
  // A pending row outside any chain (an ask() from a script) sends no event when it finishes: look again until it has.
  const log = trpc.logs.get.useQuery(
    { id },
    { refetchInterval: (query) => (query.state.data?.status === 'pending' ? PENDING_REFETCH_MS : false) },
  );
  // Within a chain, the step's end says when: look again then rather than at the next tick.
  useRefetchOnChange(
    (change) => change.type !== 'step_started' && log.data?.status === 'pending' && change.chainId === log.data.chainId,
    () => void log.refetch({ cancelRefetch: false }),
    0,
  );

  if (log.isError)
    return <ErrorState error={log.error} what="log" id={id} backTo={{ label: 'Back to the logs', to: '/logs' }} />;
  if (log.isPending) {
    return (
      <Stack spacing={2} data-testid="log-loading">
        <Skeleton variant="text" width="35%" height={48} />
        <Skeleton variant="rounded" height={120} />
        <Skeleton variant="rounded" height={240} />
      </Stack>
    );
  }
  return <LogDetailView log={log.data} />;
}

function LogDetailView({ log }: { log: LogDetail }) {
  const requestedModel = requestedModelOf(log.request);
  return (
    <Stack spacing={2} data-testid="log-detail" data-log-id={log.id}>
      <Box>
        <Button
          component={RouterLink}
          to={`/logs?chainId=${log.chainId}`}
          size="small"
          startIcon={<ArrowBackIcon />}
          sx={{ mb: 1, ml: -0.5 }}
        >
          Logs of this chain
        </Button>
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 1.5, flexWrap: 'wrap' }}>
          <Typography variant="h5" component="h1">
            {log.name}
          </Typography>
          <StatusChip status={log.status} testId="log-status" />
          <OfflineChip provider={log.provider} requestedModel={requestedModel} />
          {log.attempt > 1 ? <Typography color="text.secondary">attempt {log.attempt}</Typography> : null}
        </Box>
      </Box>
      {log.errorMessage ? <Alert severity="error">{log.errorMessage}</Alert> : null}
      <Card variant="outlined">
        <CardContent>
          <Box
            component="dl"
            sx={{
              m: 0,
              display: 'grid',
              gridTemplateColumns: { xs: '1fr', sm: 'repeat(2, max-content 1fr)', lg: 'repeat(3, max-content 1fr)' },
              columnGap: 2,
              rowGap: 1,
            }}
          >
            <Field label="Provider">{log.provider}</Field>
            <Field label="Model">{log.model}</Field>
            {isOfflineProvider(log.provider) && requestedModel ? (
              <Field label="Stood in for">{requestedModel}</Field>
            ) : null}
            <Field label="Attempt">{log.attempt}</Field>
            <Field label="Tokens in / out">
              {formatTokens(log.inputTokens)} / {formatTokens(log.outputTokens)}
            </Field>
            <Field label="Latency">{formatLatency(log.latencyMs)}</Field>
            <Field label="Cost">{formatCost(log.costUsd)}</Field>
            <Field label="Priced from">
              <Box component="span" data-testid="log-price-source">
                {log.priceSource ?? '–'}
              </Box>
            </Field>
            <Field label="Started">{formatDateTime(log.createdAt)}</Field>
            <Field label="Finished">{formatDateTime(log.finishedAt)}</Field>
            <Field label="Provider request id">
              <Box component="span" sx={{ fontFamily: 'monospace', wordBreak: 'break-all' }}>
                {log.providerRequestId ?? '–'}
              </Box>
            </Field>
            <Field label="Chain">
              <Link
                component={RouterLink}
                to={`/chains/${log.chainId}`}
                sx={{ fontFamily: 'monospace', wordBreak: 'break-all' }}
              >
                {log.chainId}
              </Link>
            </Field>
            <Field label="Log id">
              <Box component="span" sx={{ fontFamily: 'monospace', wordBreak: 'break-all' }}>
                {log.id}
              </Box>
            </Field>
          </Box>
        </CardContent>
      </Card>
      {log.error !== null && log.error !== undefined ? (
        <JsonSection title="Error" value={log.error} testId="log-error" />
      ) : null}
      <JsonSection title="Output" value={log.output} testId="log-output" />
      <JsonSection title="Request" value={log.request} testId="log-request" />
      <JsonSection title="Response" value={log.response} testId="log-response" />
    </Stack>
  );
}

/** The model the task asked for, as ask() logged it in `request` (an offline row keeps what it stood in for). */
function requestedModelOf(request: unknown): string | undefined {
  if (typeof request !== 'object' || request === null || !('requestedModel' in request)) return undefined;
  return typeof request.requestedModel === 'string' ? request.requestedModel : undefined;
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <Typography component="dt" variant="body2" color="text.secondary">
        {label}
      </Typography>
      <Typography component="dd" variant="body2" sx={{ m: 0 }}>
        {children}
      </Typography>
    </>
  );
}
