import { MenuItem, TextField } from '@mui/material';

interface FacetMenuProps {
  label: string;
  /** The value in use, or null for any. */
  value: string | null;
  /** What the menu offers (from logs.facets), undefined while it loads. */
  options: readonly string[] | undefined;
  onChange: (value: string) => void;
  minWidth?: number;
}

/** A filter menu of known values, with "Any" first (the empty string). */
export function FacetMenu({ label, value, options, onChange, minWidth = 170 }: FacetMenuProps) {
  return (
    <TextField
      select
      size="small"
      label={label}
      value={value ?? ''}
      onChange={(event) => onChange(event.target.value)}
      sx={{ minWidth }}
      slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}
    >
      <MenuItem value="">
        <em>Any</em>
      </MenuItem>
      {/* Keep a value from the address selectable even before (or without) the facet that lists it. */}
      {[...new Set([...(options ?? []), ...(value ? [value] : [])])].map((option) => (
        <MenuItem key={option} value={option}>
          {option}
        </MenuItem>
      ))}
    </TextField>
  );
}
