import { Alert, Box, LinearProgress, Skeleton, Stack, Typography } from '@mui/material';
import { keepPreviousData } from '@tanstack/react-query';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorState } from '../../components/error-state.js';
import { type RouterOutputs, trpc } from '../../trpc.js';
import {
  ChartCard,
  ChartNote,
  DailyBarChart,
  DailyLineChart,
  LatencyChart,
  formatDollars,
  formatDollarsTick,
} from './stats-charts.js';
import { StatsFilterBar } from './stats-filter-bar.js';
import { StatsTotals } from './stats-totals.js';
import { MAX_DAYS, type StatsFilters, useStatsFilters } from './use-stats-filters.js';

type Overview = RouterOutputs['stats']['overview'];

/**
 * `#/stats`: calls, errors, latency, cost and tokens over a range of UTC days, by task and by model, aggregated by
 * the server (stats.overview); no log row comes to the browser. The charts library loads with this page only.
 */
export function StatsPage() {
  const { filters, setDays, setFilter } = useStatsFilters();
  return (
    <Stack spacing={2}>
      <Typography variant="h5" component="h1">
        Stats
      </Typography>
      <StatsFilterBar filters={filters} setDays={setDays} setFilter={setFilter} />
      {filters.shortenedFrom ? (
        <Alert severity="info" data-testid="stats-range-shortened">
          A view covers at most {MAX_DAYS} days: these are the last {MAX_DAYS} of the range asked for, which began on{' '}
          {filters.shortenedFrom}.
        </Alert>
      ) : null}
      <StatsResults filters={filters} />
    </Stack>
  );
}

function StatsResults({ filters }: { filters: StatsFilters }) {
  const input = { from: filters.from, to: filters.to, name: filters.name, model: filters.model };
  const overview = trpc.stats.overview.useQuery(input, { placeholderData: keepPreviousData });
  if (overview.isPending) {
    return (
      <Stack spacing={2} data-testid="stats-loading">
        <Skeleton variant="rounded" height={110} />
        <Skeleton variant="rounded" height={300} />
      </Stack>
    );
  }
  if (overview.isError) return <ErrorState error={overview.error} what="stats" />;
  const data = overview.data;
  return (
    <Stack spacing={2} sx={{ position: 'relative' }}>
      {overview.isPlaceholderData ? (
        <LinearProgress sx={{ position: 'absolute', top: -8, left: 0, right: 0 }} aria-label="Loading stats" />
      ) : null}
      <StatsTotals totals={data.totals} />
      {data.totals.attempts === 0 ? (
        <EmptyState title="No calls in this range" testId="stats-empty">
          Widen the range or clear a filter.
        </EmptyState>
      ) : (
        <StatsCharts data={data} />
      )}
    </Stack>
  );
}

function StatsCharts({ data }: { data: Overview }) {
  const { days, tasks, models, latency, totals } = data;
  const modelLabel = (model: { provider: string; model: string }) => `${model.provider}:${model.model}`;
  const sumByDay = (pick: (series: Overview['tasks'][number]) => number[]) =>
    days.map((_day, index) => tasks.reduce((total, task) => total + (pick(task)[index] ?? 0), 0));
  return (
    <Box sx={{ display: 'grid', gridTemplateColumns: { xs: '1fr', md: '1fr 1fr' }, gap: 2 }}>
      <ChartCard title="Calls per day, by task" testId="chart-calls">
        <DailyBarChart days={days} series={tasks.map((task) => ({ label: task.name, data: task.calls }))} />
      </ChartCard>
      <ChartCard title="Failed attempts per day, by task" testId="chart-errors">
        {totals.errors === 0 ? (
          <ChartNote>No attempt failed in this range.</ChartNote>
        ) : (
          <DailyBarChart days={days} series={tasks.map((task) => ({ label: task.name, data: task.errors }))} />
        )}
      </ChartCard>
      <ChartCard title="Latency by task (p50, p95)" testId="chart-latency-tasks">
        <LatencyChart
          bars={latency.tasks.map((task) => ({ label: task.name, p50Ms: task.p50Ms, p95Ms: task.p95Ms }))}
        />
      </ChartCard>
      <ChartCard title="Latency by model (p50, p95)" testId="chart-latency-models">
        <LatencyChart
          bars={latency.models.map((model) => ({ label: modelLabel(model), p50Ms: model.p50Ms, p95Ms: model.p95Ms }))}
        />
      </ChartCard>
      <ChartCard title="Cost per day, by model" testId="chart-cost">
        {totals.costUsd === 0 ? (
          <ChartNote>
            Nothing in this range cost anything: the offline provider's answers are free, and a model no price table
            knows has no cost.
          </ChartNote>
        ) : (
          <DailyBarChart
            days={days}
            series={models.map((model) => ({ label: modelLabel(model), data: model.costUsd }))}
            format={formatDollars}
            axis={{ format: formatDollarsTick, width: 76 }}
          />
        )}
      </ChartCard>
      <ChartCard title="Tokens per day" testId="chart-tokens">
        {totals.inputTokens + totals.outputTokens === 0 ? (
          <ChartNote>No attempt in this range reported its tokens.</ChartNote>
        ) : (
          <DailyLineChart
            days={days}
            series={[
              { label: 'Input', data: sumByDay((task) => task.inputTokens) },
              { label: 'Output', data: sumByDay((task) => task.outputTokens) },
            ]}
          />
        )}
      </ChartCard>
    </Box>
  );
}
