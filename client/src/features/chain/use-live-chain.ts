import { skipToken } from '@tanstack/react-query';
import { useState } from 'react';
import { trpc } from '../../trpc.js';
import { type LiveChainEvent, applyLiveEvents } from './apply-live-events.js';

const REFRESH_MS = 2_000;

/** Where the event subscription starts: decided once, from the first snapshot. */
type Follow = { state: 'undecided' } | { state: 'follow'; lastEventId: string | null } | { state: 'finished' };

/**
 * chains.get, kept live: when the first snapshot shows the chain running, subscribes to chains.events from that
 * snapshot's `lastEventId` (so no event falls between the two) and applies each event as it arrives. Each event
 * that ends a step also refetches the snapshot, for what events do not carry (log rows, triage, reply draft). On a dropped
 * WebSocket the tRPC client resubscribes with the last event id it received, so the stream resumes without gaps.
 */
export function useLiveChain(chainId: string) {
  const utils = trpc.useUtils();
  // Read again while the chain runs and the snapshot may be behind its log: a chain only the log knows has no events
  // to follow; a recorded one's step_started comes before its call's pending row is written, so a snapshot with no
  // pending call (a queued chain, or one between steps) would show none until the step ended.
  const detail = trpc.chains.get.useQuery(
    { chainId },
    {
      refetchInterval: ({ state }) =>
        state.data?.chain.status === 'running' &&
        (!state.data.recorded || !state.data.logs.some((log) => log.status === 'pending'))
          ? REFRESH_MS
          : false,
    },
  );
  const [follow, setFollow] = useState<Follow>({ state: 'undecided' });
  const [events, setEvents] = useState<readonly LiveChainEvent[]>([]);

  if (follow.state === 'undecided' && detail.data) {
    setFollow(
      detail.data.recorded && detail.data.chain.status === 'running'
        ? { state: 'follow', lastEventId: detail.data.lastEventId }
        : { state: 'finished' },
    );
  }

  const subscription = trpc.chains.events.useSubscription(
    follow.state === 'follow' ? { chainId, lastEventId: follow.lastEventId } : skipToken,
    {
      onData: ({ data }) => {
        setEvents((current) => (current.some((event) => event.id === data.id) ? current : [...current, data]));
        // Only these bring rows the events do not carry (log rows, triage, reply draft).
        if (data.payload.type !== 'chain_started' && data.payload.type !== 'step_started')
          void utils.chains.get.invalidate({ chainId });
      },
    },
  );

  return {
    detail,
    live: detail.data ? applyLiveEvents(detail.data, events) : undefined,
    subscription,
  };
}
