import { Alert, AlertTitle, Button } from '@mui/material';
import { Component, type ReactNode } from 'react';

interface PageErrorBoundaryProps {
  /** Which navigation this is (react-router's location key): a failed page is forgotten at the next one. */
  navigation: string;
  children: ReactNode;
}

interface PageErrorBoundaryState {
  error: Error | undefined;
}

// What browsers say when a dynamic import's file cannot be fetched (Chromium, Firefox, Safari), and Vite's preload.
const CHUNK_LOAD_FAILED = /dynamically imported module|Importing a module script failed|Unable to preload/i;

/**
 * Catches what a page throws while its code loads or while it renders, so the app bar and the connection state stay
 * on screen instead of a blank window: a page whose code could not be fetched (the server was unreachable, or a deploy
 * replaced the files this tab was built with) or a page that failed. React keeps a failed page import failed, so the
 * way out is a reload, which fetches the current files; any later navigation (a link, back) tries its page.
 */
export class PageErrorBoundary extends Component<PageErrorBoundaryProps, PageErrorBoundaryState> {
  override state: PageErrorBoundaryState = { error: undefined };

  static getDerivedStateFromError(error: unknown): PageErrorBoundaryState {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidUpdate(previous: PageErrorBoundaryProps, previousState: PageErrorBoundaryState): void {
    // An error caught during this very navigation's render stays: only one from before it is forgotten.
    if (previousState.error && previous.navigation !== this.props.navigation) this.setState({ error: undefined });
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    const codeNotFetched = CHUNK_LOAD_FAILED.test(error.message);
    return (
      <Alert
        severity="error"
        data-testid="page-error"
        action={
          <Button color="inherit" size="small" onClick={() => window.location.reload()}>
            Reload
          </Button>
        }
      >
        <AlertTitle>{codeNotFetched ? 'Could not load this page' : 'This page stopped with an error'}</AlertTitle>
        {codeNotFetched
          ? 'Its code could not be fetched: the server may be out of reach, or a newer version replaced this one. Reload to try again.'
          : error.message}
      </Alert>
    );
  }
}
