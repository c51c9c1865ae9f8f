import SearchOffIcon from '@mui/icons-material/SearchOff';
import { Alert, AlertTitle, Box, Button, Typography } from '@mui/material';
import { type Query, useQueryClient } from '@tanstack/react-query';
import { Link as RouterLink } from 'react-router';
import { errorCode, isUnreachable } from '../error-code.js';

interface ErrorStateProps {
  error: { message: string };
  /** What was being loaded, for the title: "chain", "log". */
  what: string;
  /** The id taken from the address: a malformed one (BAD_REQUEST) is then a not-found too. */
  id?: string;
  /** Where "back" leads from a not-found. */
  backTo?: { label: string; to: string };
}

const failed = (query: Query) => query.state.status === 'error';

/** A failed load: NOT_FOUND as a friendly page, anything else as an alert with the server's message. */
export function ErrorState({ error, what, id, backTo }: ErrorStateProps) {
  const queryClient = useQueryClient();
  const retryFailed = () => void queryClient.refetchQueries({ type: 'active', predicate: failed });
  const code = errorCode(error);
  if (code === 'NOT_FOUND') {
    const message = id === undefined ? error.message : `No ${what} has the id ${id}.`;
    return <NotFoundState title={`No such ${what}`} message={message} backTo={backTo} />;
  }
  if (code === 'BAD_REQUEST' && id !== undefined) {
    return <NotFoundState title={`No such ${what}`} message={`"${id}" is not a ${what} id.`} backTo={backTo} />;
  }
  // Not the browser's "Failed to fetch": what the user can do, and that the page asks again when the WebSocket is back
  // (live-updates.ts).
  return (
    <Alert
      severity="error"
      data-testid="error-state"
      action={
        <Button color="inherit" size="small" onClick={retryFailed}>
          Try again
        </Button>
      }
    >
      <AlertTitle>Could not load the {what}</AlertTitle>
      {isUnreachable(error)
        ? 'The server cannot be reached. Try again in a moment: the page also loads again by itself once its live connection is back.'
        : error.message}
    </Alert>
  );
}

export function NotFoundState({
  title,
  message,
  backTo,
}: {
  title: string;
  message: string;
  backTo?: { label: string; to: string } | undefined;
}) {
  return (
    <Box data-testid="not-found" sx={{ py: 8, textAlign: 'center' }}>
      <SearchOffIcon sx={{ fontSize: 56, color: 'text.secondary' }} />
      <Typography variant="h5" component="h1" sx={{ mt: 1 }}>
        {title}
      </Typography>
      <Typography color="text.secondary" sx={{ mt: 1 }}>
        {message}
      </Typography>
      {backTo ? (
        <Button component={RouterLink} to={backTo.to} variant="outlined" sx={{ mt: 3 }}>
          {backTo.label}
        </Button>
      ) : null}
    </Box>
  );
}

/** The page for an address that names no page. */
export function NotFoundPage() {
  return (
    <NotFoundState
      title="Page not found"
      message="Nothing lives at this address."
      backTo={{ label: 'Back to the inbox', to: '/' }}
    />
  );
}
