import type { ChainEvent, ChainEventType, ChainStatus } from '@chainlog/shared';

/**
 * What chains.changes tells every open page about one chain event: which chain and which of its log rows changed,
 * and the task, provider and model a step ran, so a page can tell whether the event touches what it shows (a list
 * page far from the newest rows, a filter on another chain, facets that already hold the model) without refetching
 * to find out. Not the event's payload: outputs stay on chains.events.
 */
export interface ChainChange {
  eventId: string;
  chainId: string;
  type: ChainEventType;
  /** How the chain ended, for chain_finished. */
  status: Exclude<ChainStatus, 'running'> | null;
  /** The task of a step event. */
  name: string | null;
  /** The log row a step ended on (its last attempt), for step_finished and step_failed when there was a call. */
  logId: string | null;
  /** What answered, for step_finished. */
  provider: string | null;
  model: string | null;
}

export function chainChangeOf(event: ChainEvent): ChainChange {
  const { payload } = event;
  return {
    eventId: event.id,
    chainId: event.chainId,
    type: payload.type,
    status: payload.type === 'chain_finished' ? payload.status : null,
    name: 'name' in payload ? payload.name : null,
    logId: 'logId' in payload ? payload.logId : null,
    provider: payload.type === 'step_finished' ? payload.provider : null,
    model: payload.type === 'step_finished' ? payload.model : null,
  };
}
