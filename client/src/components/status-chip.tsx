import AutorenewIcon from '@mui/icons-material/Autorenew';
import CheckCircleIcon from '@mui/icons-material/CheckCircle';
import ErrorIcon from '@mui/icons-material/Error';
import HourglassEmptyIcon from '@mui/icons-material/HourglassEmpty';
import WarningAmberIcon from '@mui/icons-material/WarningAmber';
import { Chip, type ChipProps } from '@mui/material';
import type { ReactElement } from 'react';

interface Look {
  color: ChipProps['color'];
  icon: ReactElement;
}

// Chain statuses (running, succeeded, failed, interrupted), step statuses, and inference_log statuses (pending, ok, error).
const LOOKS: Record<string, Look> = {
  running: { color: 'info', icon: <AutorenewIcon /> },
  pending: { color: 'info', icon: <HourglassEmptyIcon /> },
  succeeded: { color: 'success', icon: <CheckCircleIcon /> },
  ok: { color: 'success', icon: <CheckCircleIcon /> },
  failed: { color: 'error', icon: <ErrorIcon /> },
  error: { color: 'error', icon: <ErrorIcon /> },
  interrupted: { color: 'warning', icon: <WarningAmberIcon /> },
};

/** A status as a coloured chip; `data-status` carries the raw value for tests. */
export function StatusChip({ status, testId }: { status: string | null | undefined; testId?: string }) {
  const label = status ?? 'unknown';
  const look = LOOKS[label];
  return (
    <Chip
      size="small"
      variant="outlined"
      label={label}
      color={look?.color ?? 'default'}
      icon={look?.icon}
      data-testid={testId}
      data-status={label}
      sx={
        label === 'running'
          ? {
              '& .MuiChip-icon': { animation: 'chainlog-spin 1.2s linear infinite' },
              '@keyframes chainlog-spin': { to: { transform: 'rotate(360deg)' } },
            }
          : undefined
      }
    />
  );
}
