import CloudOffIcon from '@mui/icons-material/CloudOff';
import { Chip, Tooltip } from '@mui/material';
import { OFFLINE_ANSWER_NOTE, isOfflineProvider } from '@chainlog/shared';

/**
 * A warning chip "offline" when `provider` is the offline provider, nothing otherwise: answers no model gave must
 * never pass for model answers. `requestedModel` (what the task asked for) goes into the tooltip when known.
 */
export function OfflineChip({
  provider,
  requestedModel,
}: {
  provider: string | null | undefined;
  requestedModel?: string | undefined;
}) {
  if (!isOfflineProvider(provider)) return null;
  const note =
    requestedModel && !isOfflineProvider(requestedModel.split(':', 1)[0])
      ? `${OFFLINE_ANSWER_NOTE} It stood in for ${requestedModel}.`
      : OFFLINE_ANSWER_NOTE;
  return (
    <Tooltip title={note} arrow>
      <Chip
        size="small"
        color="warning"
        icon={<CloudOffIcon />}
        label="offline"
        aria-label={`offline: ${note}`}
        data-testid="offline-chip"
      />
    </Tooltip>
  );
}
