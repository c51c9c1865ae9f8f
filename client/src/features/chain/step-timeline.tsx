import CheckCircleIcon from '@mui/icons-material/CheckCircle';
import ErrorIcon from '@mui/icons-material/Error';
import RadioButtonUncheckedIcon from '@mui/icons-material/RadioButtonUnchecked';
import ReceiptLongIcon from '@mui/icons-material/ReceiptLong';
import { type CallAttempt, groupIntoCalls } from '@chainlog/shared';
import {
  Alert,
  Box,
  Button,
  Chip,
  CircularProgress,
  LinearProgress,
  Link,
  Step,
  StepContent,
  StepLabel,
  Stepper,
  Typography,
} from '@mui/material';
import { Link as RouterLink } from 'react-router';
import { OfflineChip } from '../../components/offline-chip.js';
import { StatusChip } from '../../components/status-chip.js';
import { formatCost, formatLatency, formatTime, formatTokens } from '../../format.js';
import type { ChainStep } from './apply-live-events.js';
import { StepOutput } from './step-output.js';
import { upcomingSteps } from './upcoming-steps.js';

const STEP_ICONS = {
  running: <CircularProgress size={22} aria-hidden />,
  succeeded: <CheckCircleIcon color="success" />,
  failed: <ErrorIcon color="error" />,
} as const;

/**
 * The chain's steps as they run. Each step is `data-testid="step-<name>"` with `data-status` running, succeeded or
 * failed. While the chain runs, the steps its kind plans and it has not started follow, greyed
 * (`data-testid="upcoming-step-<name>"`); while no step runs, a bar under the next one (or, without a plan, under the
 * steps) says it is on its way.
 */
export function StepTimeline({
  steps,
  plannedSteps,
  logs,
  chainRunning,
  storedReplyBodies,
}: {
  steps: readonly ChainStep[];
  plannedSteps: readonly string[];
  logs: readonly CallAttempt[];
  chainRunning: boolean;
  /** The bodies of the reply drafts the chain stored, shown whole beside the steps (see StepOutput). */
  storedReplyBodies: readonly string[];
}) {
  const waiting = chainRunning && !steps.some((step) => step.status === 'running');
  const upcoming = chainRunning ? upcomingSteps(plannedSteps, steps) : [];
  const calls = groupIntoCalls(logs);
  const attemptsOf = (step: ChainStep) => calls.find((call) => call.some((attempt) => attempt.id === step.logId)) ?? [];
  const waitingBar = (text: string) => (
    <Box sx={{ py: 1, maxWidth: 360 }} data-testid="waiting-for-step">
      <Typography variant="body2" color="text.secondary" gutterBottom>
        {text}
      </Typography>
      <LinearProgress />
    </Box>
  );
  return (
    <Box>
      {steps.length + upcoming.length > 0 ? (
        <Stepper orientation="vertical" nonLinear aria-label="Steps">
          {steps.map((step) => (
            <Step
              key={step.step}
              active={step.status === 'running'}
              completed={step.status === 'succeeded'}
              expanded
              data-testid={`step-${step.name}`}
              data-status={step.status}
            >
              <StepLabel icon={STEP_ICONS[step.status]} error={step.status === 'failed'}>
                <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, flexWrap: 'wrap' }}>
                  <Typography variant="subtitle1" component="h3" sx={{ fontWeight: 600 }}>
                    {step.name}
                  </Typography>
                  <StatusChip status={step.status} />
                  <OfflineChip provider={step.provider} />
                  <Typography variant="caption" color="text.secondary">
                    {formatTime(step.startedAt)}
                  </Typography>
                </Box>
              </StepLabel>
              <StepContent>
                <StepDetails step={step} attempts={attemptsOf(step)} storedReplyBodies={storedReplyBodies} />
              </StepContent>
            </Step>
          ))}
          {upcoming.map(({ name, place }, index) => {
            const next = waiting && index === 0;
            return (
              <Step key={`planned ${place}`} expanded={next} data-testid={`upcoming-step-${name}`}>
                <StepLabel icon={<RadioButtonUncheckedIcon color="disabled" />}>
                  <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, flexWrap: 'wrap' }}>
                    <Typography variant="subtitle1" component="h3" color="text.secondary">
                      {name}
                    </Typography>
                    <Typography variant="caption" color="text.secondary">
                      {next ? 'next' : 'to come'}
                    </Typography>
                  </Box>
                </StepLabel>
                {next ? (
                  <StepContent>
                    {waitingBar(steps.length === 0 ? 'Waiting for the chain to start…' : 'Starting…')}
                  </StepContent>
                ) : null}
              </Step>
            );
          })}
        </Stepper>
      ) : null}
      {waiting && upcoming.length === 0 ? (
        <Box sx={{ mt: steps.length > 0 ? 1 : 0 }}>
          {waitingBar(steps.length === 0 ? 'Waiting for the chain to start…' : 'Waiting for the next step…')}
        </Box>
      ) : null}
      {!chainRunning && steps.length === 0 ? (
        <Typography variant="body2" color="text.secondary">
          This chain recorded no steps.
        </Typography>
      ) : null}
    </Box>
  );
}

function StepDetails({
  step,
  attempts,
  storedReplyBodies,
}: {
  step: ChainStep;
  attempts: readonly CallAttempt[];
  storedReplyBodies: readonly string[];
}) {
  if (step.status === 'running') {
    return (
      <Box sx={{ py: 1, maxWidth: 360 }}>
        <Typography variant="body2" color="text.secondary" gutterBottom>
          Asking the model…
        </Typography>
        <LinearProgress />
      </Box>
    );
  }
  return (
    <Box sx={{ pb: 1 }}>
      <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.75, alignItems: 'center', mb: 1.5 }}>
        {step.model ? (
          <Chip
            size="small"
            variant="outlined"
            label={`${step.provider ?? '?'} · ${step.model}`}
            data-testid="step-model"
          />
        ) : null}
        {step.latencyMs !== null ? (
          <Chip size="small" variant="outlined" label={formatLatency(step.latencyMs)} title="Latency" />
        ) : null}
        {step.inputTokens !== null || step.outputTokens !== null ? (
          <Chip
            size="small"
            variant="outlined"
            label={`${formatTokens(step.inputTokens)} in / ${formatTokens(step.outputTokens)} out tokens`}
          />
        ) : null}
        {step.status === 'succeeded' ? (
          <Chip size="small" variant="outlined" label={`cost ${formatCost(step.costUsd)}`} />
        ) : null}
        {step.logId ? (
          <Button
            size="small"
            component={RouterLink}
            to={`/logs/${step.logId}`}
            startIcon={<ReceiptLongIcon />}
            aria-label={`Log of ${step.name}`}
            data-testid="step-log-link"
          >
            Log
          </Button>
        ) : null}
      </Box>
      {attempts.length > 1 ? <StepAttempts attempts={attempts} /> : null}
      {step.status === 'failed' && step.error ? (
        <Alert severity="error">
          <strong>{step.error.class}</strong>: {step.error.message}
        </Alert>
      ) : (
        <StepOutput name={step.name} output={step.output} storedReplyBodies={storedReplyBodies} />
      )}
    </Box>
  );
}

/** A retried step's attempts, each with what it cost and why it failed: the chain's totals count them all. */
function StepAttempts({ attempts }: { attempts: readonly CallAttempt[] }) {
  return (
    <Box data-testid="step-attempts" sx={{ mb: 1.5, pl: 1.5, borderLeft: 2, borderColor: 'divider' }}>
      <Typography variant="caption" color="text.secondary" component="p" gutterBottom>
        {attempts.length} attempts, all counted in the chain's totals
      </Typography>
      {attempts.map((attempt) => (
        <Box
          key={attempt.id}
          data-testid="step-attempt"
          data-status={attempt.status}
          sx={{ display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: 1, py: 0.25 }}
        >
          <Typography variant="body2">attempt {attempt.attempt}</Typography>
          <StatusChip status={attempt.status} />
          {attempt.errorClass ? (
            <Typography variant="body2" color="error">
              {attempt.errorClass}
            </Typography>
          ) : null}
          <Typography variant="body2" color="text.secondary">
            {formatLatency(attempt.latencyMs)} · {formatCost(attempt.costUsd)}
          </Typography>
          <Link
            component={RouterLink}
            to={`/logs/${attempt.id}`}
            variant="body2"
            aria-label={`Log of attempt ${attempt.attempt}`}
          >
            log
          </Link>
        </Box>
      ))}
    </Box>
  );
}
