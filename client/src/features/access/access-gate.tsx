import { Box, CircularProgress } from '@mui/material';
import { type ReactNode, Suspense, lazy } from 'react';
import { type AccessSession, useAccessState } from './access-session.js';

// Only a server with a token shows the dialog, and its form fields are a good part of MUI: loaded when asked for.
const TokenDialog = lazy(() => import('./token-dialog.js').then((module) => ({ default: module.TokenDialog })));

/**
 * Renders the app once it may talk to the server: at once when no token is needed, after the token dialog when one
 * is. A refused token (a 401, or the WebSocket closed as unauthorized) takes the app down and brings the dialog back.
 */
export function AccessGate({ children }: { children: (session: AccessSession) => ReactNode }) {
  const access = useAccessState();
  if (access.phase === 'open') return children(access.session);
  const connecting = (
    <Box sx={{ display: 'flex', justifyContent: 'center', pt: 12 }}>
      <CircularProgress aria-label="Connecting to the server" />
    </Box>
  );
  if (access.phase === 'asking') {
    return (
      <Suspense fallback={connecting}>
        <TokenDialog refused={access.refused} />
      </Suspense>
    );
  }
  return connecting;
}
