import type { EntityExtraction } from '@chainlog/shared';
import { Box, Chip, LinearProgress, Stack, Typography } from '@mui/material';
import { humanize } from '../../format.js';

/** Intent, urgency and confidence (from the intent recognition output or a triage row). */
export function IntentSummary({
  intent,
  urgency,
  confidence,
  rationale,
}: {
  intent: string;
  urgency: string;
  confidence: number;
  rationale?: string | undefined;
}) {
  return (
    <Stack spacing={1} data-testid="intent-summary">
      <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 1, alignItems: 'center' }}>
        <Chip label={humanize(intent)} color="primary" size="small" data-testid="intent" />
        <Chip
          label={`${urgency} urgency`}
          size="small"
          variant="outlined"
          color={urgency === 'high' ? 'error' : urgency === 'low' ? 'default' : 'warning'}
          data-testid="urgency"
        />
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, minWidth: 160 }}>
          <LinearProgress
            variant="determinate"
            value={confidence * 100}
            sx={{ flexGrow: 1, height: 6, borderRadius: 3 }}
            aria-label="Confidence"
          />
          <Typography variant="caption" color="text.secondary">
            {Math.round(confidence * 100)}% sure
          </Typography>
        </Box>
      </Box>
      {rationale ? (
        <Typography variant="body2" color="text.secondary" sx={{ fontStyle: 'italic' }}>
          “{rationale}”
        </Typography>
      ) : null}
    </Stack>
  );
}

const ENTITY_LABELS: { key: keyof EntityExtraction; label: string }[] = [
  { key: 'orderNumbers', label: 'Order numbers' },
  { key: 'products', label: 'Products' },
  { key: 'people', label: 'People' },
  { key: 'dates', label: 'Dates' },
  { key: 'amounts', label: 'Amounts' },
];

/** The extracted entities by kind; kinds with nothing found are left out. */
export function EntityList({ entities }: { entities: EntityExtraction }) {
  const found = ENTITY_LABELS.filter(({ key }) => entities[key].length > 0);
  if (found.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary">
        No entities found.
      </Typography>
    );
  }
  return (
    <Box
      component="dl"
      data-testid="entities"
      sx={{
        m: 0,
        display: 'grid',
        gridTemplateColumns: 'max-content 1fr',
        columnGap: 2,
        rowGap: 0.75,
        alignItems: 'center',
      }}
    >
      {found.map(({ key, label }) => (
        <Box key={key} sx={{ display: 'contents' }}>
          <Typography component="dt" variant="body2" color="text.secondary">
            {label}
          </Typography>
          <Box component="dd" sx={{ m: 0, display: 'flex', flexWrap: 'wrap', gap: 0.5 }}>
            {withRepeatKeys(entities[key]).map(({ value, repeatKey }) => (
              <Chip
                key={repeatKey}
                label={value}
                size="small"
                variant="outlined"
                sx={{ fontFamily: key === 'orderNumbers' ? 'monospace' : undefined }}
              />
            ))}
          </Box>
        </Box>
      ))}
    </Box>
  );
}

/** Each value with a key unique among its repeats: a model may name the same entity twice. */
function withRepeatKeys(values: readonly string[]): { value: string; repeatKey: string }[] {
  const seen = new Map<string, number>();
  return values.map((value) => {
    const repeat = (seen.get(value) ?? 0) + 1;
    seen.set(value, repeat);
    return { value, repeatKey: `${value}#${repeat}` };
  });
}
