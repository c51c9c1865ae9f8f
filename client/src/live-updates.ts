import { useEffect, useMemo } from 'react';
import { onConnectionStatus } from './connection-status.js';
import { throttle } from './throttle.js';
import { trpc } from './trpc.js';

// A chain list on screen refetches at most this often however many chains report: otherwise every event that ends a
// step or a chain refetches it (five for each demo chain, so tens a second on a busy server).
const CHAIN_LIST_REFRESH_MS = 1_000;

/**
 * Keeps what is on screen current: events that change what a list shows (from chains.changes) mark the inbox,
 * chain and log lists stale, so the ones being shown refetch (chain lists at most once a second), and a step ending
 * does the same for a log shown in detail; a step starting changes none of them. chains.changes is not resumable,
 * so after the WebSocket comes back from a drop everything shown is refetched: whatever happened meanwhile was not
 * heard.
 */
export function useLiveUpdates(): void {
  const utils = trpc.useUtils();
  const refreshChainLists = useMemo(
    () => throttle(() => void utils.chains.list.invalidate(), CHAIN_LIST_REFRESH_MS),
    [utils],
  );
  useEffect(() => () => refreshChainLists.cancel(), [refreshChainLists]);

  trpc.chains.changes.useSubscription(undefined, {
    onData: (change) => {
      if (change.type === 'step_started') return;
      void utils.inbox.list.invalidate();
      refreshChainLists();
      void utils.logs.list.invalidate();
      // A step ending finishes its log row: a log detail on screen (pending until then) refetches.
      if (change.type === 'step_finished' || change.type === 'step_failed') void utils.logs.get.invalidate();
      // A chain's rows are all written by its end: totals and facets refresh once per chain, not per step.
      if (change.type === 'chain_finished') {
        void utils.logs.facets.invalidate();
        void utils.logs.count.invalidate();
      }
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
