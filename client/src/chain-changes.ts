import { useEffect, useMemo, useRef } from 'react';
import { throttle } from './throttle.js';
import type { RouterOutputs } from './trpc.js';

/** One chain event as chains.changes tells it: the chain, log row, task and model it touched (server chain-change.ts). */
export type ChainChange = RouterOutputs['chains']['changes'] extends AsyncIterable<infer Change> ? Change : never;

type Listener = (change: ChainChange) => void;
const listeners = new Set<Listener>();

/** Hands a change from the one chains.changes subscription (live-updates.ts) to every page listening. */
export function publishChainChange(change: ChainChange): void {
  for (const listener of listeners) listener(change);
}

/**
 * Calls `refetch` when a chain event can change what the caller shows (`mayChange`), at most once per `intervalMs`
 * (a burst of events folds into one refetch at the interval's end, none lost). Each page decides for itself, from
 * what it shows, so an event far from it costs it nothing.
 */
export function useRefetchOnChange(
  mayChange: (change: ChainChange) => boolean,
  refetch: () => void,
  intervalMs: number,
) {
  // The latest closures, so the listener and the throttle live as long as the component, not one render.
  const latest = useRef({ mayChange, refetch });
  latest.current = { mayChange, refetch };
  const throttled = useMemo(() => throttle(() => latest.current.refetch(), intervalMs), [intervalMs]);
  useEffect(() => {
    const listener: Listener = (change) => {
      if (latest.current.mayChange(change)) throttled();
    };
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      throttled.cancel();
    };
  }, [throttled]);
}
