import { Box, Card, CardContent, Typography } from '@mui/material';
import { BarChart } from '@mui/x-charts/BarChart';
import { LineChart } from '@mui/x-charts/LineChart';
import type { ReactNode } from 'react';
import { formatLatency, formatLatencyTick } from '../../format.js';

const CHART_HEIGHT = 260;
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });

/** "Nov 14" for a `YYYY-MM-DD` UTC day. */
function shortDay(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, {
    month: 'short',
    day: 'numeric',
    timeZone: 'UTC',
  });
}

export function formatCount(value: number | null): string {
  return value === null ? '–' : compact.format(value);
}

/** Dollars with the digits small sums need: $12.40, $0.0031. */
export function formatDollars(value: number | null): string {
  if (value === null) return '–';
  if (value === 0) return '$0';
  return value >= 1 ? `$${value.toFixed(2)}` : `$${value.toPrecision(2)}`;
}

/** A dollar axis tick: as short as it can be ("$0.05", "$0.00015"), where a total keeps its cents ("$0.50"). */
export function formatDollarsTick(value: number | null): string {
  return value === null || value >= 1 ? formatDollars(value) : `$${Number(value.toPrecision(2))}`;
}

export function ChartCard({ title, testId, children }: { title: string; testId: string; children: ReactNode }) {
  return (
    <Card variant="outlined" data-testid={testId} component="section" aria-label={title}>
      <CardContent sx={{ pb: '8px !important' }}>
        <Typography variant="subtitle1" component="h2" sx={{ fontWeight: 600 }}>
          {title}
        </Typography>
        {children}
      </CardContent>
    </Card>
  );
}

/**
 * Said in a chart's place when every figure it would draw is 0: axes around nothing and a lone "0" tick read as a
 * chart that failed to load.
 */
export function ChartNote({ children }: { children: ReactNode }) {
  return (
    <Box
      data-testid="chart-note"
      sx={{ height: CHART_HEIGHT, display: 'grid', placeItems: 'center', textAlign: 'center', px: 2 }}
    >
      <Typography variant="body2" color="text.secondary">
        {children}
      </Typography>
    </Box>
  );
}

export interface DailySeries {
  label: string;
  data: number[];
}

/** One bar per day, stacked by series (tasks or models). */
export function DailyBarChart({
  days,
  series,
  format = formatCount,
  axis = { format: formatCount, width: 56, minStep: 1 },
}: {
  days: string[];
  series: DailySeries[];
  format?: (value: number | null) => string;
  /**
   * The value axis's labels, and room for the longest in px: a cent's fractions ("$0.00015") take more than "1.2K";
   * `minStep` 1 for counts, so a day of one call has no tick at half a call.
   */
  axis?: { format: (value: number | null) => string; width: number; minStep?: number };
}) {
  return (
    <BarChart
      height={CHART_HEIGHT}
      xAxis={[{ scaleType: 'band', data: days, valueFormatter: shortDay }]}
      yAxis={[
        {
          valueFormatter: (value: number) => axis.format(value),
          width: axis.width,
          ...(axis.minStep === undefined ? {} : { tickMinStep: axis.minStep }),
        },
      ]}
      series={series.map(({ label, data }) => ({ label, data, stack: 'day', valueFormatter: format }))}
      slotProps={{ legend: { direction: 'horizontal', position: { vertical: 'top', horizontal: 'center' } } }}
      grid={{ horizontal: true }}
    />
  );
}

/** One line per series over the days. */
export function DailyLineChart({ days, series }: { days: string[]; series: DailySeries[] }) {
  return (
    <LineChart
      height={CHART_HEIGHT}
      xAxis={[{ scaleType: 'point', data: days, valueFormatter: shortDay }]}
      yAxis={[{ valueFormatter: (value: number) => formatCount(value), width: 56, tickMinStep: 1 }]}
      series={series.map(({ label, data }) => ({
        label,
        data,
        showMark: days.length <= 31,
        valueFormatter: formatCount,
      }))}
      slotProps={{ legend: { direction: 'horizontal', position: { vertical: 'top', horizontal: 'center' } } }}
      grid={{ horizontal: true }}
    />
  );
}

export interface LatencyBar {
  label: string;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** p50 and p95 side by side for each task or model, horizontal so long names stay readable. */
export function LatencyChart({ bars }: { bars: LatencyBar[] }) {
  return (
    <BarChart
      layout="horizontal"
      height={Math.max(CHART_HEIGHT, 70 + bars.length * 34)}
      yAxis={[{ scaleType: 'band', data: bars.map((bar) => bar.label), width: 170 }]}
      xAxis={[{ valueFormatter: (value: number) => formatLatencyTick(value) }]}
      series={[
        { label: 'p50', data: bars.map((bar) => bar.p50Ms), valueFormatter: formatLatency },
        { label: 'p95', data: bars.map((bar) => bar.p95Ms), valueFormatter: formatLatency },
      ]}
      slotProps={{ legend: { direction: 'horizontal', position: { vertical: 'top', horizontal: 'center' } } }}
      grid={{ vertical: true }}
    />
  );
}
