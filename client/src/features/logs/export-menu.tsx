import FileDownloadOutlinedIcon from '@mui/icons-material/FileDownloadOutlined';
import { Alert, Button, CircularProgress, Menu, MenuItem, Snackbar } from '@mui/material';
import { useState } from 'react';
import { API_EXPORT_URL } from '../../env.js';
import { ServerUnreachableError, isUnreachable } from '../../error-code.js';
import { fetchWithToken } from '../access/access-session.js';
import type { LogFilters } from './use-log-filters.js';

const FORMATS = [
  { format: 'csv', label: 'CSV', hint: 'the columns analysts sum and group' },
  { format: 'json', label: 'JSON', hint: 'one array, every column' },
  { format: 'ndjson', label: 'NDJSON', hint: 'one row per line, every column' },
] as const;

type ExportFormat = (typeof FORMATS)[number]['format'];

/** The query GET /export/logs takes: the explorer's filters as they are, without the paging. */
function exportQuery(filters: LogFilters, format: ExportFormat): string {
  const params = new URLSearchParams({ format });
  for (const [key, value] of Object.entries(filters)) {
    if (value !== null && !(key === 'order' && value === 'desc')) params.set(key, value);
  }
  return params.toString();
}

function fileNameOf(response: Response, format: ExportFormat): string {
  const match = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '');
  return match?.[1] ?? `chainlog-logs.${format}`;
}

/**
 * Export every log matching the current filters. The file is fetched with the token in a header and saved from a
 * blob: a link or a form could not carry the header, and a token in the URL would land in history and proxy logs.
 * The browser holds the file until it is saved, which suits what one exports from a page; `curl` streams a larger one.
 */
export function ExportMenu({ filters }: { filters: LogFilters }) {
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const download = async (format: ExportFormat) => {
    setAnchor(null);
    setBusy(true);
    setProblem(null);
    try {
      const response = await fetchWithToken(`${API_EXPORT_URL}logs?${exportQuery(filters, format)}`);
      if (!response.ok) {
        const body: unknown = await response.json().catch(() => null);
        const message =
          typeof body === 'object' &&
          body !== null &&
          'error' in body &&
          typeof body.error === 'object' &&
          body.error !== null &&
          'message' in body.error
            ? String(body.error.message)
            : response.statusText;
        throw new Error(`the server answered ${response.status}: ${message}`);
      }
      // A connection lost while the body streams fails the read with a TypeError, as a refused fetch does.
      const blob = await response.blob().catch((error: unknown) => {
        throw error instanceof TypeError ? new ServerUnreachableError(error.message, { cause: error }) : error;
      });
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = fileNameOf(response, format);
      link.click();
      // The click has handed the blob to the download; the URL is not needed after this turn.
      setTimeout(() => URL.revokeObjectURL(url), 0);
    } catch (error) {
      setProblem(
        isUnreachable(error)
          ? 'the server could not be reached.'
          : error instanceof Error
            ? error.message
            : String(error),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Button
        variant="outlined"
        size="small"
        startIcon={busy ? <CircularProgress size={16} /> : <FileDownloadOutlinedIcon />}
        disabled={busy}
        onClick={(event) => setAnchor(event.currentTarget)}
        aria-haspopup="menu"
        data-testid="logs-export"
      >
        {busy ? 'Exporting…' : 'Export'}
      </Button>
      <Menu anchorEl={anchor} open={anchor !== null} onClose={() => setAnchor(null)}>
        {FORMATS.map(({ format, label, hint }) => (
          <MenuItem key={format} onClick={() => void download(format)} data-testid={`logs-export-${format}`}>
            {label} — {hint}
          </MenuItem>
        ))}
      </Menu>
      <Snackbar open={problem !== null} onClose={() => setProblem(null)}>
        <Alert severity="error" onClose={() => setProblem(null)}>
          Export failed: {problem}
        </Alert>
      </Snackbar>
    </>
  );
}
