import { useSyncExternalStore } from 'react';

/**
 * The WebSocket's state as the connection indicator shows it: `connecting` before the first open, `open`, then
 * `reconnecting` after any close until the client (which retries by itself) is open again.
 */
export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting';

type Listener = (status: ConnectionStatus) => void;

let current: ConnectionStatus = 'connecting';
const listeners = new Set<Listener>();

function setStatus(next: ConnectionStatus): void {
  if (next === current) return;
  current = next;
  for (const listener of listeners) listener(next);
}

/** Called by the WebSocket client's callbacks in trpc.ts. */
export const connectionEvents = {
  opened(): void {
    setStatus('open');
  },
  closed(): void {
    setStatus('reconnecting');
  },
};

/** Hears every change; returns the unsubscribe function. */
export function onConnectionStatus(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useConnectionStatus(): ConnectionStatus {
  return useSyncExternalStore(
    (notify) => onConnectionStatus(() => notify()),
    () => current,
  );
}
