import ClearIcon from '@mui/icons-material/Clear';
import { CHAIN_STATUSES } from '@chainlog/shared';
import { Autocomplete, Box, Button, MenuItem, TextField } from '@mui/material';
import type { ChainFilterKey, ChainFilters } from './use-chain-filters.js';

interface ChainFilterBarProps {
  filters: ChainFilters;
  setFilter: (key: ChainFilterKey, value: string | null) => void;
  clear: () => void;
  active: boolean;
  /** Names to offer (those on screen); any other name can be typed. */
  knownNames: readonly string[];
}

/** Status from the chain statuses; a name picked from those seen or typed whole (applied on Enter or leaving the field). */
export function ChainFilterBar({ filters, setFilter, clear, active, knownNames }: ChainFilterBarProps) {
  const names = [...new Set([...knownNames, ...(filters.name ? [filters.name] : [])])].sort();
  return (
    <Box
      role="search"
      aria-label="Chain filters"
      sx={{ display: 'flex', flexWrap: 'wrap', gap: 1.5, alignItems: 'flex-start' }}
    >
      <TextField
        select
        size="small"
        label="Status"
        value={filters.status ?? ''}
        onChange={(event) => setFilter('status', event.target.value)}
        sx={{ minWidth: 150 }}
        slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}
      >
        <MenuItem value="">
          <em>Any</em>
        </MenuItem>
        {CHAIN_STATUSES.map((status) => (
          <MenuItem key={status} value={status}>
            {status}
          </MenuItem>
        ))}
      </TextField>
      <Autocomplete
        freeSolo
        autoSelect
        size="small"
        options={names}
        value={filters.name}
        onChange={(_event, value) => setFilter('name', value === null ? null : value.trim())}
        sx={{ width: 280, maxWidth: '100%' }}
        renderInput={(params) => (
          <TextField
            {...params}
            label="Name"
            placeholder="any name"
            slotProps={{ ...params.slotProps, inputLabel: { ...params.slotProps.inputLabel, shrink: true } }}
          />
        )}
      />
      {active ? (
        <Button onClick={clear} startIcon={<ClearIcon />} sx={{ mt: 0.25 }}>
          Clear filters
        </Button>
      ) : null}
    </Box>
  );
}
