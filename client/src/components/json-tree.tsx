import ChevronRightIcon from '@mui/icons-material/ChevronRight';
import ExpandMoreIcon from '@mui/icons-material/ExpandMore';
import { Box, IconButton } from '@mui/material';
import { useState } from 'react';

interface JsonTreeProps {
  value: unknown;
  /** Objects and arrays this deep or shallower start open; the root is depth 0. */
  expandDepth?: number;
  /** A name for the root, read by screen readers on its toggle. */
  label?: string;
}

/** Any JSON value as an indented tree whose objects and arrays open and close; strings keep their line breaks. */
export function JsonTree({ value, expandDepth = 2, label = 'value' }: JsonTreeProps) {
  return (
    <Box
      role="tree"
      aria-label={label}
      sx={{ fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', fontSize: 13, lineHeight: 1.6 }}
    >
      <JsonNode name={null} value={value} depth={0} expandDepth={expandDepth} path={label} />
    </Box>
  );
}

interface JsonNodeProps {
  name: string | null;
  value: unknown;
  depth: number;
  expandDepth: number;
  path: string;
}

function JsonNode({ name, value, depth, expandDepth, path }: JsonNodeProps) {
  const entries = childrenOf(value);
  const [open, setOpen] = useState(depth < expandDepth);
  const key =
    name === null ? null : (
      <Box component="span" sx={{ color: 'text.secondary', mr: 0.75, flexShrink: 0 }}>
        {name}:
      </Box>
    );
  if (!entries) {
    return (
      <Box role="treeitem" sx={{ pl: 3.5, display: 'flex', alignItems: 'baseline' }}>
        {key}
        <Scalar value={value} />
      </Box>
    );
  }
  const isArray = Array.isArray(value);
  const [opening, closing] = isArray ? ['[', ']'] : ['{', '}'];
  const summary = isArray
    ? `${entries.length} item${entries.length === 1 ? '' : 's'}`
    : `${entries.length} key${entries.length === 1 ? '' : 's'}`;
  if (entries.length === 0) {
    return (
      <Box role="treeitem" sx={{ pl: 3.5 }}>
        {key}
        <Box component="span" sx={{ color: 'text.secondary' }}>{`${opening}${closing}`}</Box>
      </Box>
    );
  }
  return (
    <Box role="treeitem" aria-expanded={open}>
      <Box sx={{ display: 'flex', alignItems: 'center' }}>
        <IconButton
          size="small"
          aria-label={`${open ? 'Collapse' : 'Expand'} ${path}`}
          onClick={() => setOpen(!open)}
          sx={{ p: 0.25, mr: 0.25 }}
        >
          {open ? <ExpandMoreIcon fontSize="small" /> : <ChevronRightIcon fontSize="small" />}
        </IconButton>
        <Box component="span" onClick={() => setOpen(!open)} sx={{ cursor: 'pointer', userSelect: 'none' }}>
          {key}
          {opening}
          {open ? null : (
            <Box component="span" sx={{ color: 'text.secondary', fontStyle: 'italic', mx: 0.5 }}>
              {summary}
            </Box>
          )}
          {open ? null : closing}
        </Box>
      </Box>
      {open ? (
        <>
          <Box role="group" sx={{ ml: 1.25, pl: 1, borderLeft: 1, borderColor: 'divider' }}>
            {entries.map(([childName, childValue]) => (
              <JsonNode
                key={childName}
                name={childName}
                value={childValue}
                depth={depth + 1}
                expandDepth={expandDepth}
                path={`${path}.${childName}`}
              />
            ))}
          </Box>
          <Box sx={{ pl: 3.5 }}>{closing}</Box>
        </>
      ) : null}
    </Box>
  );
}

/** Named children of an object or array; null for anything printed on one line. */
function childrenOf(value: unknown): [string, unknown][] | null {
  if (Array.isArray(value)) return value.map((item, index) => [String(index), item]);
  if (typeof value === 'object' && value !== null) return Object.entries(value);
  return null;
}

function Scalar({ value }: { value: unknown }) {
  if (typeof value === 'string') {
    return (
      <Box component="span" sx={{ color: 'success.main', whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
        "{value}"
      </Box>
    );
  }
  if (typeof value === 'number')
    return (
      <Box component="span" sx={{ color: 'info.main' }}>
        {String(value)}
      </Box>
    );
  if (typeof value === 'boolean')
    return (
      <Box component="span" sx={{ color: 'secondary.main' }}>
        {String(value)}
      </Box>
    );
  if (value === null || value === undefined)
    return (
      <Box component="span" sx={{ color: 'text.disabled' }}>
        null
      </Box>
    );
  return <Box component="span">{String(value)}</Box>;
}
