import CloudDoneIcon from '@mui/icons-material/CloudDone';
import CloudOffIcon from '@mui/icons-material/CloudOff';
import CloudSyncIcon from '@mui/icons-material/CloudSync';
import { Chip, Tooltip } from '@mui/material';
import type { ConnectionStatus } from '../connection-status.js';

const LOOKS = {
  connecting: { label: 'Connecting…', color: 'default', icon: <CloudSyncIcon />, hint: 'Opening the live connection' },
  open: { label: 'Live', color: 'success', icon: <CloudDoneIcon />, hint: 'WebSocket connected: updates arrive live' },
  reconnecting: { label: 'Reconnecting…', color: 'warning', icon: <CloudOffIcon />, hint: 'WebSocket lost: retrying; updates resume when it is back' },
} as const;

/** The WebSocket's state; `data-status` is connecting, open or reconnecting. */
export function ConnectionChip({ status }: { status: ConnectionStatus }) {
  const look = LOOKS[status];
  return (
    <Tooltip title={look.hint}>
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
    </Tooltip>
  );
}
