import SubdirectoryArrowRightIcon from '@mui/icons-material/SubdirectoryArrowRight';
import { type CallAttempt, groupIntoCalls } from '@chainlog/shared';
import { Box, Link, Tooltip, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { Link as RouterLink } from 'react-router';
import { formatCost, formatLatency } from '../../format.js';
import type { ChainStep } from './apply-live-events.js';

type BarStatus = CallAttempt['status'];

/** One bar: an attempt from the log, or a step that started before its log row was read (no id yet). */
interface Bar {
  key: string;
  logId: string | null;
  name: string;
  attempt: number | null;
  status: BarStatus;
  start: number;
  /** null while pending: the bar grows to now. */
  end: number | null;
  latencyMs: number | null;
  costUsd: string | null;
  errorClass: string | null;
  model: string | null;
}

const BAR_COLOURS: Record<BarStatus, string> = { ok: 'success.main', error: 'error.main', pending: 'info.main' };
const NOW_TICK_MS = 250;
// Axis steps a person reads easily: 1, 2 or 5 times a power of ten, in ms.
const NICE_STEPS = [1, 2, 5];
const MAX_TICKS = 6;

/**
 * The chain's attempts on one time axis, from each attempt's start to its end: a retry is a bar of its own under its
 * call, coloured by its status (`data-testid="waterfall-attempt"`, `data-status`, `data-name`, `data-attempt`). A
 * pending attempt, or a running step whose log row is not read yet, grows to now.
 */
export function AttemptWaterfall({ logs, steps }: { logs: readonly CallAttempt[]; steps: readonly ChainStep[] }) {
  const bars = barsOf(logs, steps);
  const pending = bars.some((bar) => bar.end === null);
  const now = useNow(pending);
  if (bars.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary">
        No calls yet.
      </Typography>
    );
  }
  const start = Math.min(...bars.map((bar) => bar.start));
  const end = Math.max(...bars.map((bar) => Math.max(bar.end ?? now, bar.start)));
  const span = Math.max(end - start, 1);
  const percent = (time: number) => ((time - start) / span) * 100;
  const ticks = axisTicks(span);

  return (
    <Box
      data-testid="waterfall"
      sx={{
        display: 'grid',
        gridTemplateColumns: { xs: 'minmax(0, 1fr)', sm: '260px minmax(0, 1fr)' },
        columnGap: 2,
        rowGap: 0.5,
      }}
    >
      <Box sx={{ display: { xs: 'none', sm: 'block' } }} />
      <Box sx={{ position: 'relative', height: 20, borderBottom: 1, borderColor: 'divider' }} aria-hidden>
        {ticks.map((tick) => (
          <Typography
            key={tick}
            variant="caption"
            color="text.secondary"
            sx={{
              position: 'absolute',
              left: `${(tick / span) * 100}%`,
              transform: tick === 0 ? 'none' : 'translateX(-50%)',
              whiteSpace: 'nowrap',
              lineHeight: '20px',
            }}
          >
            {tick === 0 ? '0' : formatLatency(tick)}
          </Typography>
        ))}
      </Box>
      <Box component="ol" aria-label="Attempts on a time axis" sx={{ display: 'contents', listStyle: 'none' }}>
        {bars.map((bar) => {
          const left = percent(bar.start);
          const width = Math.max(percent(Math.max(bar.end ?? now, bar.start)) - left, 0);
          const retry = bar.attempt !== null && bar.attempt > 1;
          return (
            <Box
              component="li"
              key={bar.key}
              data-testid="waterfall-attempt"
              data-status={bar.status}
              data-name={bar.name}
              data-attempt={bar.attempt ?? ''}
              sx={{ display: 'contents' }}
            >
              <Box
                sx={{
                  display: 'flex',
                  alignItems: 'baseline',
                  gap: 0.5,
                  minWidth: 0,
                  pl: retry ? 1.5 : 0,
                  mt: { xs: 1, sm: 0 },
                }}
              >
                {retry ? (
                  <SubdirectoryArrowRightIcon
                    sx={{ fontSize: 14, color: 'text.secondary', alignSelf: 'center' }}
                    aria-hidden
                  />
                ) : null}
                <Box sx={{ minWidth: 0 }}>
                  <Typography variant="body2" noWrap title={bar.name} sx={{ fontWeight: retry ? 400 : 500 }}>
                    {bar.logId ? (
                      <Link component={RouterLink} to={`/logs/${bar.logId}`} underline="hover" color="inherit">
                        {bar.name}
                      </Link>
                    ) : (
                      bar.name
                    )}
                  </Typography>
                  <Typography variant="caption" color="text.secondary" component="div">
                    {bar.attempt === null ? 'starting' : `attempt ${bar.attempt}${retry ? ' (retry)' : ''}`}
                    {bar.end !== null ? ` · ${formatLatency(bar.end - bar.start)}` : ' · running'}
                    {bar.costUsd !== null ? ` · ${formatCost(bar.costUsd)}` : ''}
                    {bar.errorClass ? (
                      <Box component="span" sx={{ color: 'error.main' }}>
                        {' '}
                        · {bar.errorClass}
                      </Box>
                    ) : null}
                  </Typography>
                </Box>
              </Box>
              <Box
                sx={{
                  position: 'relative',
                  height: 28,
                  alignSelf: 'center',
                  bgcolor: 'action.hover',
                  borderRadius: 0.5,
                }}
              >
                {ticks.slice(1).map((tick) => (
                  <Box
                    key={tick}
                    aria-hidden
                    sx={{
                      position: 'absolute',
                      top: 0,
                      bottom: 0,
                      left: `${(tick / span) * 100}%`,
                      borderLeft: 1,
                      borderColor: 'divider',
                    }}
                  />
                ))}
                <Tooltip title={describe(bar, start)} placement="top" arrow>
                  <Box
                    data-testid="waterfall-bar"
                    role="img"
                    aria-label={describe(bar, start)}
                    sx={{
                      position: 'absolute',
                      top: 5,
                      bottom: 5,
                      left: `${left}%`,
                      width: `${width}%`,
                      minWidth: 3,
                      borderRadius: 0.5,
                      bgcolor: BAR_COLOURS[bar.status],
                      ...(bar.status === 'pending' ? PENDING_STRIPES : {}),
                    }}
                  />
                </Tooltip>
              </Box>
            </Box>
          );
        })}
      </Box>
    </Box>
  );
}

const PENDING_STRIPES = {
  backgroundImage: 'repeating-linear-gradient(-45deg, rgba(255,255,255,0.35) 0 6px, transparent 6px 12px)',
  backgroundSize: '17px 17px',
  animation: 'chainlog-waterfall-stripes 1s linear infinite',
  '@keyframes chainlog-waterfall-stripes': { to: { backgroundPosition: '17px 0' } },
} as const;

/** The attempts in the order of their calls (each call's retries under it), then the steps still waiting for a row. */
function barsOf(logs: readonly CallAttempt[], steps: readonly ChainStep[]): Bar[] {
  const bars: Bar[] = groupIntoCalls(logs)
    .flat()
    .map((attempt) => ({
      key: attempt.id,
      logId: attempt.id,
      name: attempt.name,
      attempt: attempt.attempt,
      status: attempt.status,
      start: Date.parse(attempt.createdAt),
      end: attempt.finishedAt === null ? null : Date.parse(attempt.finishedAt),
      latencyMs: attempt.latencyMs,
      costUsd: attempt.costUsd,
      errorClass: attempt.errorClass,
      model: attempt.model,
    }));
  // A step that started since the log rows were read: shown from its start, as pending, until its row arrives.
  for (const step of steps) {
    if (step.status !== 'running' || logs.some((attempt) => attempt.name === step.name && attempt.status === 'pending'))
      continue;
    bars.push({
      key: `step-${step.step}`,
      logId: null,
      name: step.name,
      attempt: null,
      status: 'pending',
      start: Date.parse(step.startedAt),
      end: null,
      latencyMs: null,
      costUsd: null,
      errorClass: null,
      model: null,
    });
  }
  return bars;
}

function describe(bar: Bar, chainStart: number): string {
  const parts = [
    `${bar.name}${bar.attempt === null ? '' : `, attempt ${bar.attempt}`}: ${bar.status}`,
    `started at +${formatLatency(bar.start - chainStart)}`,
    bar.end === null ? 'still running' : `took ${formatLatency(bar.end - bar.start)}`,
  ];
  if (bar.latencyMs !== null) parts.push(`model ${formatLatency(bar.latencyMs)}`);
  if (bar.model) parts.push(bar.model);
  if (bar.costUsd !== null) parts.push(formatCost(bar.costUsd));
  if (bar.errorClass) parts.push(bar.errorClass);
  return parts.join(' · ');
}

/** Tick positions in ms from the start: 0 and every nice step up to the span, at most MAX_TICKS of them. */
function axisTicks(spanMs: number): number[] {
  let step = 1;
  for (let power = 1; ; power *= 10) {
    const nice = NICE_STEPS.map((factor) => factor * power).find((candidate) => spanMs / candidate <= MAX_TICKS - 1);
    if (nice !== undefined) {
      step = nice;
      break;
    }
  }
  const ticks: number[] = [];
  for (let tick = 0; tick <= spanMs; tick += step) ticks.push(tick);
  return ticks;
}

/** The current time, renewed every NOW_TICK_MS while `ticking` (a pending bar grows), else fixed. */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), NOW_TICK_MS);
    return () => clearInterval(timer);
  }, [ticking]);
  return now;
}
