import { Box, ToggleButton, ToggleButtonGroup } from '@mui/material';
import { DateField } from '../../components/date-field.js';
import { FacetMenu } from '../../components/facet-menu.js';
import { trpc } from '../../trpc.js';
import { RANGE_PRESETS, type StatsFilterKey, type StatsFilters } from './use-stats-filters.js';

interface StatsFilterBarProps {
  filters: StatsFilters;
  setDays: (days: number) => void;
  setFilter: (key: StatsFilterKey, value: string | null) => void;
}

/** A preset range or two UTC days, and the task and model menus (from logs.facets). */
export function StatsFilterBar({ filters, setDays, setFilter }: StatsFilterBarProps) {
  const facets = trpc.logs.facets.useQuery();
  const menu = (key: 'name' | 'model', label: string, options: readonly string[] | undefined) => (
    <FacetMenu
      label={label}
      value={filters[key]}
      options={options}
      onChange={(value) => setFilter(key, value)}
      minWidth={180}
    />
  );
  const day = (key: 'from' | 'to', label: string) => (
    <DateField
      size="small"
      type="date"
      label={label}
      value={filters[key]}
      onApply={(value) => setFilter(key, value)}
      slotProps={{ inputLabel: { shrink: true }, htmlInput: { 'aria-label': `${label} (UTC day)` } }}
      sx={{ width: 160 }}
    />
  );
  return (
    <Box
      role="search"
      aria-label="Stats filters"
      sx={{ display: 'flex', flexWrap: 'wrap', gap: 1.5, alignItems: 'center' }}
    >
      <ToggleButtonGroup
        size="small"
        exclusive
        value={filters.days}
        onChange={(_event, value: unknown) => {
          if (typeof value === 'number') setDays(value);
        }}
        aria-label="Range"
      >
        {RANGE_PRESETS.map((days) => (
          <ToggleButton key={days} value={days} sx={{ px: 1.5 }}>
            {days} days
          </ToggleButton>
        ))}
      </ToggleButtonGroup>
      {day('from', 'From')}
      {day('to', 'To')}
      {menu('name', 'Task', facets.data?.names)}
      {menu('model', 'Model', facets.data?.models)}
    </Box>
  );
}
