import { Card, CardContent, Stack, Typography } from '@mui/material';
import type { RouterOutputs } from '../../trpc.js';
import { formatCount, formatDollars } from './stats-charts.js';

type Totals = RouterOutputs['stats']['overview']['totals'];

/** The range's totals, above the charts. */
export function StatsTotals({ totals }: { totals: Totals }) {
  const errorRate = totals.attempts === 0 ? 0 : totals.errors / totals.attempts;
  const figures = [
    { label: 'Calls', value: formatCount(totals.calls), detail: `${formatCount(totals.attempts)} attempts` },
    { label: 'Errors', value: formatCount(totals.errors), detail: `${(errorRate * 100).toFixed(1)} % of attempts` },
    { label: 'Cost', value: formatDollars(totals.costUsd), detail: 'every attempt' },
    {
      label: 'Tokens',
      value: formatCount(totals.inputTokens + totals.outputTokens),
      detail: `${formatCount(totals.inputTokens)} in · ${formatCount(totals.outputTokens)} out`,
    },
  ];
  return (
    <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 2 }} data-testid="stats-totals">
      {figures.map((figure) => (
        <Card key={figure.label} variant="outlined" sx={{ flex: '1 1 160px' }}>
          <CardContent>
            <Typography variant="overline" color="text.secondary">
              {figure.label}
            </Typography>
            <Typography variant="h5" component="p">
              {figure.value}
            </Typography>
            <Typography variant="body2" color="text.secondary">
              {figure.detail}
            </Typography>
          </CardContent>
        </Card>
      ))}
    </Stack>
  );
}
