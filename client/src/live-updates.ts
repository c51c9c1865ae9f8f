import { useEffect } from 'react';
import { publishChainChange } from './chain-changes.js';
import { onConnectionStatus } from './connection-status.js';
import { facetsMayChange } from './features/logs/log-changes.js';
import { trpc } from './trpc.js';

/**
 * The one chains.changes subscription of the app: each change goes to the pages listening (useRefetchOnChange),
 * which refetch only when it can touch what they show; the task, provider and model menus refetch only when a step
 * names one they lack. chains.changes is not resumable, so after the WebSocket comes back from a drop everything
 * shown is refetched: whatever happened meanwhile was not heard.
 */
export function useLiveUpdates(): void {
  const utils = trpc.useUtils();

  trpc.chains.changes.useSubscription(undefined, {
    onData: (change) => {
      if (facetsMayChange(change, utils.logs.facets.getData())) void utils.logs.facets.invalidate();
      publishChainChange(change);
    },
  });

  useEffect(() => {
    let dropped = false;
    return onConnectionStatus((status) => {
      if (status === 'reconnecting') dropped = true;
      if (status === 'open' && dropped) {
        dropped = false;
        void utils.invalidate();
      }
    });
  }, [utils]);
}
