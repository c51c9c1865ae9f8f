import InboxIcon from '@mui/icons-material/Inbox';
import { Box, Typography } from '@mui/material';
import type { ReactNode } from 'react';

/** A quiet placeholder for a list with nothing in it yet. */
export function EmptyState({ title, children, testId }: { title: string; children?: ReactNode; testId?: string }) {
  return (
    <Box data-testid={testId} sx={{ py: 6, px: 2, textAlign: 'center', color: 'text.secondary' }}>
      <InboxIcon sx={{ fontSize: 48, opacity: 0.5 }} />
      <Typography variant="subtitle1" sx={{ mt: 1 }}>
        {title}
      </Typography>
      {children ? <Typography variant="body2">{children}</Typography> : null}
    </Box>
  );
}
