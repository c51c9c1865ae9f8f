import ClearIcon from '@mui/icons-material/Clear';
import SearchIcon from '@mui/icons-material/Search';
import { Box, Button, InputAdornment, MenuItem, TextField } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { DateField } from '../../components/date-field.js';
import { FacetMenu } from '../../components/facet-menu.js';
import { trpc } from '../../trpc.js';
import { DraftField } from './draft-field.js';
import { LOG_STATUSES, type LogFilterKey, type LogFilters, isDecimal, isUuid } from './use-log-filters.js';

const notDecimal = (draft: string) => (isDecimal(draft) ? null : 'A number of 0 or more, like 1500 or 0.25');

interface LogFilterBarProps {
  filters: LogFilters;
  setFilter: (key: LogFilterKey, value: string | null) => void;
  clear: () => void;
  active: boolean;
}

/**
 * Words to search for in prompts and outputs; name, model and provider menus from logs.facets; status, chain id,
 * time range, latency and cost narrow further.
 */
export function LogFilterBar({ filters, setFilter, clear, active }: LogFilterBarProps) {
  const facets = trpc.logs.facets.useQuery();
  // Clearing must also empty the chain id field when what it held was never applied (not a UUID).
  const [resets, setResets] = useState(0);
  // The fields holding text they refuse (the chain id, the numbers): nothing applied, but Clear filters empties them.
  const [unapplied, setUnapplied] = useState<readonly string[]>([]);
  const markUnapplied = useCallback(
    (key: string, refused: boolean) =>
      setUnapplied((keys) =>
        refused === keys.includes(key) ? keys : refused ? [...keys, key] : keys.filter((other) => other !== key),
      ),
    [],
  );
  const chainIdUnapplied = useCallback((refused: boolean) => markUnapplied('chainId', refused), [markUnapplied]);
  const menu = (key: 'name' | 'model' | 'provider', label: string, options: readonly string[] | undefined) => (
    <FacetMenu label={label} value={filters[key]} options={options} onChange={(value) => setFilter(key, value)} />
  );

  return (
    <Box
      role="search"
      aria-label="Log filters"
      sx={{ display: 'flex', flexWrap: 'wrap', gap: 1.5, alignItems: 'flex-start' }}
    >
      <DraftField
        key={`q-${resets}`}
        size="small"
        label="Search prompts and outputs"
        placeholder='refund, "charged twice", -test'
        value={filters.q}
        onApply={(value) => setFilter('q', value)}
        problemWith={(draft) => (draft.length > 500 ? 'At most 500 characters' : null)}
        sx={{ width: { xs: '100%', sm: 340 } }}
        slotProps={{
          inputLabel: { shrink: true },
          htmlInput: { 'data-testid': 'logs-search' },
          input: {
            startAdornment: (
              <InputAdornment position="start">
                <SearchIcon fontSize="small" />
              </InputAdornment>
            ),
          },
        }}
      />
      {menu('name', 'Name', facets.data?.names)}
      {menu('model', 'Model', facets.data?.models)}
      {menu('provider', 'Provider', facets.data?.providers)}
      <TextField
        select
        size="small"
        label="Status"
        value={filters.status ?? ''}
        onChange={(event) => setFilter('status', event.target.value)}
        sx={{ minWidth: 130 }}
        slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}
      >
        <MenuItem value="">
          <em>Any</em>
        </MenuItem>
        {LOG_STATUSES.map((status) => (
          <MenuItem key={status} value={status}>
            {status}
          </MenuItem>
        ))}
      </TextField>
      <ChainIdField
        key={resets}
        chainId={filters.chainId}
        onChange={(value) => setFilter('chainId', value)}
        onUnapplied={chainIdUnapplied}
      />
      <TimeField label="Since" iso={filters.from} onChange={(value) => setFilter('from', value)} />
      <TimeField label="Until" iso={filters.to} onChange={(value) => setFilter('to', value)} />
      {(
        [
          ['minLatencyMs', 'Latency ≥ (ms)'],
          ['maxLatencyMs', 'Latency ≤ (ms)'],
          ['minCostUsd', 'Cost ≥ ($)'],
        ] as const
      ).map(([key, label]) => (
        <DraftField
          key={`${key}-${resets}`}
          size="small"
          label={label}
          value={filters[key]}
          onApply={(value) => setFilter(key, value)}
          problemWith={notDecimal}
          onRefusedChange={(refused) => markUnapplied(key, refused)}
          sx={{ width: 140 }}
          slotProps={{
            inputLabel: { shrink: true },
            htmlInput: { inputMode: 'decimal', 'data-testid': `logs-${key}` },
          }}
        />
      ))}
      {active || unapplied.length > 0 ? (
        <Button
          onClick={() => {
            clear();
            setResets((count) => count + 1);
          }}
          startIcon={<ClearIcon />}
          sx={{ mt: 0.25 }}
        >
          Clear filters
        </Button>
      ) : null}
    </Box>
  );
}

/**
 * Applies a chain id once it is a whole UUID, so half-typed ids are not sent; while the field holds anything else,
 * no chain filter applies (not even the previous id, which the field no longer shows).
 */
function ChainIdField(props: {
  chainId: string | null;
  onChange: (value: string | null) => void;
  onUnapplied: (unapplied: boolean) => void;
}) {
  const { chainId, onChange, onUnapplied } = props;
  const [draft, setDraft] = useState(chainId ?? '');
  // Follow changes made elsewhere (Clear filters, a link), not the ones this field just made.
  const [applied, setApplied] = useState(chainId);
  const trimmed = draft.trim();
  const draftApplies = isUuid(trimmed) ? trimmed : null;
  if (chainId !== applied) {
    setApplied(chainId);
    if (chainId !== draftApplies) setDraft(chainId ?? '');
  }
  const invalid = trimmed !== '' && !isUuid(trimmed);
  // The bar offers Clear filters for a field holding an id that was not applied, though no filter is set.
  useEffect(() => onUnapplied(invalid), [invalid, onUnapplied]);
  return (
    <TextField
      size="small"
      label="Chain id"
      value={draft}
      placeholder="any chain"
      error={invalid}
      helperText={invalid ? 'Not a chain id (UUID): not applied' : undefined}
      onChange={(event) => {
        setDraft(event.target.value);
        const value = event.target.value.trim();
        const next = isUuid(value) ? value : null;
        if (next !== chainId) onChange(next);
      }}
      // As wide as a whole id in the field's monospace font and letter spacing (a phone's field takes the row).
      sx={{ width: { xs: '100%', sm: 'auto' }, '& input': { width: { sm: '37ch' } } }}
      slotProps={{ inputLabel: { shrink: true }, htmlInput: { spellCheck: false, style: { fontFamily: 'monospace' } } }}
    />
  );
}

/** A local date and time, stored in the filters as an ISO instant. */
function TimeField({
  label,
  iso,
  onChange,
}: {
  label: string;
  iso: string | null;
  onChange: (value: string | null) => void;
}) {
  return (
    <DateField
      size="small"
      type="datetime-local"
      label={label}
      value={iso ? toLocalInput(iso) : ''}
      onApply={(value) =>
        onChange(value === '' || Number.isNaN(Date.parse(value)) ? null : new Date(value).toISOString())
      }
      slotProps={{ inputLabel: { shrink: true } }}
      sx={{ width: 220 }}
    />
  );
}

/** `YYYY-MM-DDTHH:mm` in local time, as datetime-local inputs want it. */
function toLocalInput(iso: string): string {
  const date = new Date(iso);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${String(date.getFullYear()).padStart(4, '0')}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
