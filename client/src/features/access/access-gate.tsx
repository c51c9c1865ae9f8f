import { Box, CircularProgress } from '@mui/material';
import type { ReactNode } from 'react';
import { type AccessSession, useAccessState } from './access-session.js';
import { TokenDialog } from './token-dialog.js';

/**
 * Renders the app once it may talk to the server: at once when no token is needed, after the token dialog when one
 * is. A refused token (a 401, or the WebSocket closed as unauthorized) takes the app down and brings the dialog back.
 */
export function AccessGate({ children }: { children: (session: AccessSession) => ReactNode }) {
  const access = useAccessState();
  if (access.phase === 'open') return children(access.session);
  if (access.phase === 'asking') return <TokenDialog refused={access.refused} />;
  return (
    <Box sx={{ display: 'flex', justifyContent: 'center', pt: 12 }}>
      <CircularProgress aria-label="Connecting to the server" />
    </Box>
  );
}
