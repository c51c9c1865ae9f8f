import CloudDoneIcon from '@mui/icons-material/CloudDone';
import CloudOffIcon from '@mui/icons-material/CloudOff';
import CloudSyncIcon from '@mui/icons-material/CloudSync';
import { Chip } from '@mui/material';
import { Suspense, lazy } from 'react';
import type { ConnectionStatus } from '../connection-status.js';

// The tooltip brings Popper.js and MUI's popper and transitions (about 9 KB gzip): the chip shows at once, its hint
// once that has loaded, after the first view.
const Tooltip = lazy(() => import('@mui/material/Tooltip'));

const LOOKS = {
  connecting: { label: 'Connecting…', color: 'default', icon: <CloudSyncIcon />, hint: 'Opening the live connection' },
  open: { label: 'Live', color: 'success', icon: <CloudDoneIcon />, hint: 'WebSocket connected: updates arrive live' },
  reconnecting: {
    label: 'Reconnecting…',
    color: 'warning',
    icon: <CloudOffIcon />,
    hint: 'WebSocket lost: retrying; updates resume when it is back',
  },
} as const;

/** The WebSocket's state; `data-status` is connecting, open or reconnecting. */
export function ConnectionChip({ status }: { status: ConnectionStatus }) {
  const look = LOOKS[status];
  const chip = (
    <Chip
      size="small"
      label={look.label}
      color={look.color}
      icon={look.icon}
      role="status"
      aria-live="polite"
      data-testid="connection-status"
      data-status={status}
      // The default chip is see-through: on the app bar's colour it needs a surface of its own.
      sx={status === 'connecting' ? { bgcolor: 'background.paper', color: 'text.primary' } : undefined}
    />
  );
  return (
    <Suspense fallback={chip}>
      <Tooltip title={look.hint}>{chip}</Tooltip>
    </Suspense>
  );
}
